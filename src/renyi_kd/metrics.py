"""Evaluation metrics of a classifier's logits, and of a student against its teacher."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from renyi_kd.losses import renyi_divergence

ECE_BINS = 15


def expected_calibration_error(logits: Tensor, targets: Tensor, n_bins: int = ECE_BINS) -> float:
    """ECE = sum_b |B_b|/n * |accuracy(B_b) - confidence(B_b)| over equal-width confidence bins (Guo et al. 2017)."""
    confidence, predicted = F.softmax(logits.float(), -1).max(-1)
    correct = (predicted == targets).float()
    bins = torch.clamp((confidence * n_bins).long(), max=n_bins - 1)  # bin b holds (b/n, (b+1)/n]
    counts = torch.bincount(bins, minlength=n_bins).float()
    gap = torch.bincount(bins, weights=correct - confidence, minlength=n_bins).abs()
    return (gap.sum() / counts.sum()).item()


def classification_metrics(logits: Tensor, targets: Tensor) -> dict[str, float]:
    """Top-1 accuracy, mean negative log-likelihood and ECE (15 bins)."""
    logits = logits.float()
    return {
        "acc": (logits.argmax(-1) == targets).float().mean().item(),
        "nll": F.cross_entropy(logits, targets).item(),
        "ece": expected_calibration_error(logits, targets),
    }


def fidelity_metrics(student_logits: Tensor, teacher_logits: Tensor) -> dict[str, float]:
    """Teacher-student top-1 agreement and KL(teacher || student) at T = 1 (Stanton et al. 2021)."""
    return {
        "agreement": (student_logits.argmax(-1) == teacher_logits.argmax(-1)).float().mean().item(),
        "fidelity_kl": renyi_divergence(teacher_logits.float(), student_logits.float(), 1.0).mean().item(),
    }
