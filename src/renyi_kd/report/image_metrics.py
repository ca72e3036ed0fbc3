"""Per-image values of the test metrics, and each image's influence on a run's metric.

For a run's test images i = 1..n, a metric that is a mean of per-image values ``x_i`` is ``M = (1/n) sum_i x_i``;
a binned metric (ECE) with per-image values ``g_i`` in bins ``b_i`` is ``M = (1/n) sum_b |S_b|`` with
``S_b = sum_{i: b_i = b} g_i``. The influence of image i on M (its infinitesimal-jackknife value: the derivative of
M with respect to the image's weight, times n) is

- ``psi_i = x_i - M`` for a mean,
- ``psi_i = sign(S_{b_i}) g_i - M`` for ECE,

so that ``M(w) - M ~ (1/n) sum_i (w_i - 1) psi_i`` for image weights w near 1 and ``sum_i psi_i = 0``. The report
turns these into the test sample's share of a comparison's variance (:func:`renyi_kd.report.stats.image_variance`).
The per-image values are those of :data:`renyi_kd.metrics.METRICS` in float64, so each ``M`` is the metric the
final run wrote (in float32) up to rounding.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from scipy.sparse import csr_matrix, sparray, spmatrix
from torch import Tensor

from renyi_kd.metrics import per_image_metrics

__all__ = ["ImageValues", "RunKey", "image_values"]

RunKey = tuple[str, str, str, str]  # (method, teacher, repeat, seed), as renyi_kd.report.inference.run_keys gives


@dataclass(frozen=True)
class ImageValues:
    """One run's metric as ``columns`` ``[n, k]``: per-image values (``k = 1``), or binned gaps (``binned``)."""

    columns: np.ndarray | spmatrix | sparray
    binned: bool = False

    @property
    def n_images(self) -> int:
        return self.columns.shape[0]

    def _direction(self) -> np.ndarray:
        """``[k]``: the sign of each bin's summed gap (binned), or 1 (a mean)."""
        if not self.binned:
            return np.ones(1)
        return np.sign(np.asarray(self.columns.sum(axis=0)).ravel())

    def value(self) -> float:
        """The metric on the test set: the mean, or ``(1/n) sum_b |S_b|``."""
        return float(np.asarray(self.columns.sum(axis=0)).ravel() @ self._direction()) / self.n_images

    def influence(self) -> np.ndarray:
        """``[n]``: each image's influence ``psi_i`` on the metric (module docstring); it sums to 0."""
        return np.asarray(self.columns @ self._direction()).ravel() - self.value()

    @classmethod
    def of(cls, values: Tensor) -> ImageValues:
        """From a metric's per-image values: ``[n]`` (a mean), or a sparse ``[n, bins]`` (binned; sparse so that
        large test sets stay small in memory)."""
        if not values.is_sparse:
            return cls(values.double().numpy().reshape(-1, 1))
        rows, bins = values.indices().numpy()
        return cls(csr_matrix((values.values().double().numpy(), (rows, bins)), shape=tuple(values.shape)), binned=True)


def image_values(logits: Tensor, targets: Tensor, teacher_logits: Tensor | None = None) -> dict[str, ImageValues]:
    """Per-image values of every metric of one run; those that need the teacher only when its logits are given."""
    return {m.name: ImageValues.of(m.compute(logits, targets, teacher_logits, dtype=torch.float64, reduction="none"))
            for m in per_image_metrics(teacher_logits is not None)}
