"""Dark knowledge of classes the student never saw (``data.omit_classes``; Hinton et al. 2015, section 3).

A student whose transfer set holds no image of some classes learns of them only through the teacher's
probabilities; its logits for those classes are then too low, and Hinton et al. raise their bias. Here the shift
``b >= 0`` added to the omitted classes' logits is chosen on **validation** (:func:`bias_shift`: the exact
maximiser of validation accuracy over all ``b``, the smallest among ties) and then applied to test
(:func:`dark_knowledge_metrics`): never chosen on test.

Accuracy as a function of ``b`` is a step function: image ``i`` is predicted as its best omitted class once
``b > d_i``, ``d_i`` the gap between its best kept logit and its best omitted logit. So the maximiser is found
exactly by evaluating ``b = 0`` and one point inside every step.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["bias_shift", "dark_knowledge_metrics", "shift_logits"]


def _split(logits: np.ndarray, omitted: Sequence[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(best omitted logit, its class, best kept logit, its class) of every row."""
    logits = np.asarray(logits, dtype=np.float64)
    mask = np.zeros(logits.shape[1], dtype=bool)
    mask[list(omitted)] = True
    if not mask.any() or mask.all():
        raise ValueError(f"omitted classes must be some but not all of the {logits.shape[1]} classes, got {omitted}")
    omit_idx, kept_idx = np.flatnonzero(mask), np.flatnonzero(~mask)
    best_omit, best_kept = logits[:, omit_idx].argmax(1), logits[:, kept_idx].argmax(1)
    rows = np.arange(len(logits))
    return (logits[rows, omit_idx[best_omit]], omit_idx[best_omit], logits[rows, kept_idx[best_kept]],
            kept_idx[best_kept])  # fmt: skip


def shift_logits(logits: np.ndarray, omitted: Sequence[int], shift: float) -> np.ndarray:
    """``logits`` with ``shift`` added to the omitted classes' columns."""
    shifted = np.array(logits, dtype=np.float64)
    shifted[:, list(omitted)] += shift
    return shifted


def bias_shift(logits: np.ndarray, targets: np.ndarray, omitted: Sequence[int]) -> float:
    """The shift ``b >= 0`` of the omitted classes' logits that maximises accuracy on these (validation) images;
    the smallest such ``b`` (a point inside its step: halfway to the next step, or 1 past the last)."""
    top_omit, omit_class, top_kept, kept_class = _split(logits, omitted)
    targets = np.asarray(targets)
    gaps = top_kept - top_omit  # the image turns to its best omitted class once b > gap
    steps = np.unique(gaps[gaps >= 0])
    candidates = np.concatenate([[0.0], (steps[:-1] + steps[1:]) / 2, steps[-1:] + 1.0]) if steps.size else np.zeros(1)
    turned = top_omit[None, :] + candidates[:, None] > top_kept[None, :]
    correct = np.where(turned, omit_class[None, :] == targets[None, :], kept_class[None, :] == targets[None, :])
    return float(candidates[int(np.argmax(correct.sum(1)))])  # argmax: the first (smallest) of the best


def dark_knowledge_metrics(logits: np.ndarray, targets: np.ndarray, omitted: Sequence[int], shift: float
                           ) -> dict[str, float]:
    """Accuracy on the test images of the omitted classes (as the student is, and with ``shift`` added to their
    logits) and on the images of the other classes (as the student is), and the shift itself."""
    logits, targets = np.asarray(logits, dtype=np.float64), np.asarray(targets)
    of_omitted = np.isin(targets, list(omitted))
    if not of_omitted.any() or of_omitted.all():
        raise ValueError("the test images must hold both omitted and kept classes")
    predicted, shifted = logits.argmax(1), shift_logits(logits, omitted, shift).argmax(1)
    return {
        "omitted_acc": float(np.mean(predicted[of_omitted] == targets[of_omitted])),
        "omitted_acc_shifted": float(np.mean(shifted[of_omitted] == targets[of_omitted])),
        "kept_acc": float(np.mean(predicted[~of_omitted] == targets[~of_omitted])),
        "bias_shift": float(shift),
    }
