"""Per-image values of the test metrics, so that the bootstrap can resample test images.

For a run with logits ``z_i``, labels ``y_i`` and teacher logits ``v_i`` on test images i = 1..n, and image
weights ``w_i >= 0`` (bootstrap counts; all 1 for the test set itself):

- ``test_acc = sum_i w_i [argmax z_i = y_i] / sum_i w_i``,
- ``test_nll = sum_i w_i (-log softmax(z_i)_{y_i}) / sum_i w_i``,
- ``agreement = sum_i w_i [argmax z_i = argmax v_i] / sum_i w_i``,
- ``fidelity_kl = sum_i w_i KL(softmax v_i || softmax z_i) / sum_i w_i``,
- ``test_ece`` is not a mean of per-image values: with confidence ``c_i = max softmax(z_i)`` in one of 15
  equal-width bins ``b_i`` and ``g_i = [argmax z_i = y_i] - c_i``, ``ECE(w) = sum_b |sum_{i: b_i = b} w_i g_i|
  / sum_i w_i`` (Guo et al. 2017), recomputed on every resample with each image keeping its bin.

With ``w = 1`` each formula is the metric that :mod:`renyi_kd.metrics` computes for the final run.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from scipy.sparse import csr_matrix, sparray, spmatrix
import torch.nn.functional as F
from torch import Tensor

from renyi_kd.losses import renyi_divergence
from renyi_kd.metrics import ECE_BINS

__all__ = ["ImageValues", "image_values"]


@dataclass(frozen=True)
class ImageValues:
    """One run's metric as ``columns`` ``[n, k]``: a weighted mean (``k = 1``), or ECE's binned gaps (``binned``)."""

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


def _mean(values: Tensor) -> ImageValues:
    return ImageValues(values.double().numpy().reshape(-1, 1))


def _ece(logits: Tensor, correct: Tensor) -> ImageValues:
    # Confidence in float32, binned as renyi_kd.metrics does, so an image on a bin edge lands in the same bin.
    confidence = F.softmax(logits.float(), -1).max(-1).values
    bins = torch.clamp((confidence * ECE_BINS).long(), max=ECE_BINS - 1)
    gaps = (correct.double() - confidence.double()).numpy()
    # One non-zero per image: sparse, so that large test sets stay small in memory.
    columns = csr_matrix((gaps, (np.arange(len(gaps)), bins.numpy())), shape=(len(gaps), ECE_BINS))
    return ImageValues(columns, binned=True)


def image_values(logits: Tensor, targets: Tensor, teacher_logits: Tensor | None = None) -> dict[str, ImageValues]:
    """Per-image values of every metric of one run; ``agreement`` and ``fidelity_kl`` need the teacher's logits."""
    logits = logits.double()
    correct = logits.argmax(-1) == targets
    values = {
        "test_acc": _mean(correct),
        "test_nll": _mean(F.cross_entropy(logits, targets, reduction="none")),
        "test_ece": _ece(logits, correct),
    }
    if teacher_logits is not None:
        teacher_logits = teacher_logits.double()
        values["agreement"] = _mean(logits.argmax(-1) == teacher_logits.argmax(-1))
        values["fidelity_kl"] = _mean(renyi_divergence(teacher_logits, logits, 1.0))
    return values
