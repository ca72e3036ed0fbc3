"""Dark knowledge of classes the student never saw (``data.omit_classes``; Hinton et al. 2015, section 3).

A student whose transfer set holds no image of some classes learns of them only through the teacher's
probabilities; its logits for those classes are then too low, and Hinton et al. raise their bias. Here the shift
``b >= 0`` added to the omitted classes' logits is chosen on **validation** (:func:`bias_shift`: the exact
maximiser of validation accuracy over all ``b``, in the lowest interval that reaches it) and then applied to test
(:func:`dark_knowledge_metrics`): never chosen on test.

Accuracy as a function of ``b`` is a step function: image ``i`` is predicted as its best omitted class once
``b > d_i``, ``d_i`` the gap between its best kept logit and its best omitted logit. So the maximiser is found
exactly from ``b = 0`` and one point inside every step, counted with one sort and a cumulative sum.
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
    """The shift ``b >= 0`` of the omitted classes' logits that maximises accuracy on these (validation) images.

    0 when no shift beats the logits as they are; otherwise a point inside the lowest interval of shifts that
    reaches the best accuracy (halfway to the next step, or 1 past the last). One sort: O(n log n).
    """
    top_omit, omit_class, top_kept, kept_class = _split(logits, omitted)
    targets = np.asarray(targets)
    as_is = int(np.sum(np.asarray(logits).argmax(1) == targets))  # b = 0, ties broken as argmax breaks them
    gaps = top_kept - top_omit  # for b > gap the image is predicted as its best omitted class
    omit_right, kept_right = omit_class == targets, kept_class == targets
    order = np.argsort(gaps, kind="stable")
    gaps, gain = gaps[order], (omit_right.astype(int) - kept_right.astype(int))[order]
    # Correct images for b just above gaps[k]: kept-correct everywhere, plus the gains of images 0..k.
    correct = int(kept_right.sum()) + np.cumsum(gain)
    last = np.r_[gaps[1:] != gaps[:-1], True] & (gaps >= 0)  # the last image of each step at b >= 0
    steps, counts = gaps[last], correct[last]
    if not steps.size or counts.max() <= as_is:
        return 0.0
    best = int(np.argmax(counts))  # the first (lowest) step of the best
    return float((steps[best] + steps[best + 1]) / 2 if best + 1 < steps.size else steps[best] + 1.0)


def dark_knowledge_metrics(logits: np.ndarray, targets: np.ndarray, omitted: Sequence[int], shift: float
                           ) -> dict[str, float]:
    """Accuracy on the test images of the omitted classes and on those of the other classes, each as the student
    is and with ``shift`` added to the omitted classes' logits (what the shift costs the others), and the shift."""
    logits, targets = np.asarray(logits, dtype=np.float64), np.asarray(targets)
    of_omitted = np.isin(targets, list(omitted))
    if not of_omitted.any() or of_omitted.all():
        raise ValueError("the test images must hold both omitted and kept classes")
    right, right_shifted = logits.argmax(1) == targets, shift_logits(logits, omitted, shift).argmax(1) == targets
    return {
        "omitted_acc": float(np.mean(right[of_omitted])),
        "omitted_acc_shifted": float(np.mean(right_shifted[of_omitted])),
        "kept_acc": float(np.mean(right[~of_omitted])),
        "kept_acc_shifted": float(np.mean(right_shifted[~of_omitted])),
        "bias_shift": float(shift),
    }
