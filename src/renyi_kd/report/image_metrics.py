"""Per-image values of the test metrics, so that the bootstrap can resample test images.

For a run's test images i = 1..n with weights ``w_i >= 0`` (bootstrap counts; all 1 for the test set itself), a
metric that is a mean of per-image values ``x_i`` is ``sum_i w_i x_i / sum_i w_i``; a binned metric (ECE) with
per-image values ``g_i`` in bins ``b_i`` is ``sum_b |sum_{i: b_i = b} w_i g_i| / sum_i w_i``, recomputed on every
resample with each image keeping its bin. The per-image values are those of :data:`renyi_kd.metrics.METRICS`
in float64, so with ``w = 1`` each is the metric the final run wrote (in float32) up to rounding.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from scipy.sparse import csr_matrix, sparray, spmatrix
from torch import Tensor

from renyi_kd.metrics import per_image_metrics

__all__ = ["ImageValues", "image_values"]


@dataclass(frozen=True)
class ImageValues:
    """One run's metric as ``columns`` ``[n, k]``: a weighted mean (``k = 1``), or binned gaps (``binned``)."""

    columns: np.ndarray | spmatrix | sparray
    binned: bool = False

    @property
    def n_images(self) -> int:
        return self.columns.shape[0]

    def under(self, weights: np.ndarray) -> np.ndarray:
        """The metric under each row of image weights ``[B, n]``: ``[B]``."""
        sums = weights @ self.columns
        numerator = np.abs(sums).sum(axis=1) if self.binned else sums[:, 0]
        return numerator / weights.sum(axis=1)

    def value(self) -> float:
        """The metric on the test set itself (every weight 1)."""
        return float(self.under(np.ones((1, self.n_images)))[0])

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
