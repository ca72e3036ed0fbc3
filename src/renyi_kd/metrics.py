"""The metrics of a run: every metric is one :class:`Metric` record in :data:`METRICS`.

The teacher, the final runs, the report's statistics, tables, comparisons and text and the config schema
(``x-registry``) read this registry; nothing else lists metrics. Pure Python at import (torch is imported by
the functions), so the schema can read it.

A per-image metric has one function ``compute(logits, targets, teacher_logits, *, dtype, reduction)`` that
gives its per-image values (``reduction="none"``) or their mean (``reduction="mean"``), as torch's losses do.
A run's value (runs.csv, ``teacher/metrics.json``) is the mean in float32 (:func:`evaluate`); the report's
inference takes the per-image values in float64 for the test sample's variance (:mod:`renyi_kd.report.image_metrics`). For logits ``z_i``,
labels ``y_i`` and teacher logits ``v_i`` of test images i = 1..n:

- ``test_acc = mean_i [argmax z_i = y_i]``, ``test_nll = mean_i -log softmax(z_i)_{y_i}``,
- ``agreement = mean_i [argmax z_i = argmax v_i]``, ``fidelity_kl = mean_i KL(softmax v_i || softmax z_i)``
  (at T = 1; Stanton et al. 2021),
- ``test_ece`` (Guo et al. 2017) is binned, not a mean: with confidence ``c_i = max softmax(z_i)`` in one of 15
  equal-width bins ``b_i`` and ``g_i = [argmax z_i = y_i] - c_i``, ``ECE = sum_b |sum_{i: b_i = b} g_i| / n``;
  its per-image values are ``g_i`` placed in column ``b_i`` of an ``[n, 15]`` sparse matrix.

A run-level metric (``compute=None``, e.g. ``wall_time_s``) is a column of runs.csv that its stage writes.

A new metric is one function and one record::

    def top_margin(logits, targets, teacher_logits, *, dtype, reduction):
        top2 = logits.to(dtype).softmax(-1).topk(2).values
        values = top2[:, 0] - top2[:, 1]
        return values.mean() if reduction == "mean" else values

    register_metric(Metric(name="top_margin", long_name="top-2 probability margin", higher_is_better=True,
                           text="Margin", latex="Margin", compute=top_margin))
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from torch import Tensor

__all__ = [
    "COMPARABLE",
    "COMPARED_BY_DEFAULT",
    "ECE_BINS",
    "HEADLINE",
    "METRICS",
    "Metric",
    "classification_metrics",
    "evaluate",
    "per_image_metrics",
    "register_metric",
    "unregister_metric",
]

ECE_BINS = 15
HEADLINE = "test_acc"  # the metric the report states its verdicts on and draws the forest plot of
RUN_DTYPE = "float32"  # a run's value: the precision the final runs have always been evaluated in


@dataclass(frozen=True)
class Metric:
    """A metric as data.

    ``scale``: the factor from the stored value (runs.csv) to the shown one (100: a fraction shown in percent),
    with ``unit`` the shown unit (``"%"``; its differences are then percentage points) and ``decimals`` shown.
    ``text``/``latex``: the column header in tables. ``needs_teacher``: ``compute`` reads the teacher's logits.
    ``compute``: see the module docstring; None for a run-level metric. ``compared``: the report may declare
    comparisons on it (a per-image metric by default).
    """

    name: str
    long_name: str
    higher_is_better: bool
    text: str
    latex: str
    scale: float = 1.0
    unit: str = ""
    decimals: int = 3
    needs_teacher: bool = False
    compute: Callable[..., Any] | None = None
    compared: bool | None = None

    @property
    def per_image(self) -> bool:
        return self.compute is not None

    @property
    def comparable(self) -> bool:
        return self.per_image if self.compared is None else self.compared

    @property
    def difference_unit(self) -> str:
        """The unit of a difference of two shown values: percentage points for percentages."""
        return " pp" if self.unit == "%" else (f" {self.unit}" if self.unit else "")


def _reduce(values: Tensor, reduction: str) -> Tensor:
    return values.mean() if reduction == "mean" else values


def accuracy(logits: Tensor, targets: Tensor, teacher_logits: Tensor | None, *, dtype: Any, reduction: str) -> Tensor:
    """Top-1 accuracy: ``[argmax z_i = y_i]``."""
    return _reduce((logits.to(dtype).argmax(-1) == targets).to(dtype), reduction)


def negative_log_likelihood(logits: Tensor, targets: Tensor, teacher_logits: Tensor | None, *, dtype: Any,
                            reduction: str) -> Tensor:
    """``-log softmax(z_i)_{y_i}`` (torch's own mean reduction for the run's value)."""
    import torch.nn.functional as F

    return F.cross_entropy(logits.to(dtype), targets, reduction=reduction)


def calibration_error(logits: Tensor, targets: Tensor, teacher_logits: Tensor | None, *, dtype: Any,
                      reduction: str) -> Tensor:
    """ECE over :data:`ECE_BINS` equal-width confidence bins; bin b holds confidences in (b/n, (b+1)/n]."""
    import torch
    import torch.nn.functional as F

    # Confidence in float32 whatever the dtype, so an image on a bin edge lands in the same bin in every path.
    confidence = F.softmax(logits.float(), -1).max(-1).values
    correct = F.softmax(logits.to(dtype), -1).argmax(-1) == targets
    bins = torch.clamp((confidence * ECE_BINS).long(), max=ECE_BINS - 1)
    gaps = correct.to(dtype) - confidence.to(dtype)
    if reduction == "mean":
        return torch.bincount(bins, weights=gaps, minlength=ECE_BINS).abs().sum() / len(gaps)
    rows = torch.arange(len(gaps), device=gaps.device)
    return torch.sparse_coo_tensor(torch.stack([rows, bins]), gaps, (len(gaps), ECE_BINS),
                                   check_invariants=True).coalesce()


def agreement(logits: Tensor, targets: Tensor, teacher_logits: Tensor, *, dtype: Any, reduction: str) -> Tensor:
    """Teacher-student top-1 agreement: ``[argmax z_i = argmax v_i]``."""
    return _reduce((logits.to(dtype).argmax(-1) == teacher_logits.to(dtype).argmax(-1)).to(dtype), reduction)


def fidelity_kl(logits: Tensor, targets: Tensor, teacher_logits: Tensor, *, dtype: Any, reduction: str) -> Tensor:
    """``KL(softmax v_i || softmax z_i)`` at T = 1."""
    from renyi_kd.losses import renyi_divergence

    return _reduce(renyi_divergence(teacher_logits.to(dtype), logits.to(dtype), 1.0), reduction)


METRICS: dict[str, Metric] = {}


def register_metric(metric: Metric) -> Metric:
    """Add ``metric`` to :data:`METRICS` (after the others: the registry's order is the tables' order)."""
    if metric.name in METRICS:
        raise ValueError(f"metric {metric.name!r} is already registered")
    METRICS[metric.name] = metric
    return metric


def unregister_metric(name: str) -> None:
    METRICS.pop(name)


for _metric in (
    Metric("test_acc", "test accuracy", True, "Accuracy (%)", r"Acc.\ (\%)", scale=100.0, unit="%", decimals=2,
           compute=accuracy),
    Metric("test_nll", "NLL", False, "NLL", "NLL", compute=negative_log_likelihood),
    Metric("test_ece", "ECE", False, "ECE (%)", r"ECE (\%)", scale=100.0, unit="%", decimals=2,
           compute=calibration_error),
    Metric("agreement", "agreement with the teacher", True, "Agreement (%)", r"Agree.\ (\%)", scale=100.0, unit="%",
           decimals=2, needs_teacher=True, compute=agreement),
    Metric("fidelity_kl", "KL(teacher‖student)", False, "KL(teacher‖student)", r"KL($t\|s$)", needs_teacher=True,
           compute=fidelity_kl),
    Metric("wall_time_s", "training wall time (s)", False, "Wall time (s)", r"Time (s)", decimals=1),
    Metric("val_nll", "validation NLL", False, "Val. NLL", "Val.\\ NLL"),
    # Dark knowledge (data.omit_classes; renyi_kd.dark_knowledge): written only by experiments that omit classes.
    Metric("omitted_acc", "accuracy on the omitted classes", True, "Omitted acc. (%)", r"Omit.\ acc.\ (\%)",
           scale=100.0, unit="%", decimals=1, compared=True),
    Metric("omitted_acc_shifted", "accuracy on the omitted classes with the bias shift", True,
           "Omitted acc., shifted (%)", r"Omit.\ shifted (\%)", scale=100.0, unit="%", decimals=1, compared=True),
    Metric("kept_acc", "accuracy on the other classes", True, "Other acc. (%)", r"Other acc.\ (\%)", scale=100.0,
           unit="%", decimals=1),
    Metric("kept_acc_shifted", "accuracy on the other classes with the bias shift", True, "Other acc., shifted (%)",
           r"Other shifted (\%)", scale=100.0, unit="%", decimals=1),
    Metric("bias_shift", "bias shift of the omitted classes (chosen on validation)", False, "Bias shift",
           "Shift", decimals=2),
):
    register_metric(_metric)


class _Comparable:
    """A live view of the names of the metrics that comparisons may declare (the schema's enum); with
    ``per_image_only``, of those a comparison entry without a metric covers (a run-level metric is compared only
    where a config names it: an experiment that does not write it has nothing to compare)."""

    def __init__(self, per_image_only: bool = False) -> None:
        self.per_image_only = per_image_only

    def __iter__(self) -> Iterator[str]:
        return (name for name, metric in METRICS.items()
                if metric.comparable and (metric.per_image or not self.per_image_only))  # fmt: skip


COMPARABLE = _Comparable()
COMPARED_BY_DEFAULT = _Comparable(per_image_only=True)


def per_image_metrics(with_teacher: bool = True) -> list[Metric]:
    """The metrics computed from a run's outputs, in registry order (those that need the teacher only
    ``with_teacher``)."""
    return [m for m in METRICS.values() if m.per_image and (with_teacher or not m.needs_teacher)]


def evaluate(logits: Tensor, targets: Tensor, teacher_logits: Tensor | None = None) -> dict[str, float]:
    """A run's value of every per-image metric (float32 means; those needing the teacher only when it is given)."""
    import torch

    dtype = getattr(torch, RUN_DTYPE)
    return {m.name: m.compute(logits, targets, teacher_logits, dtype=dtype, reduction="mean").item()
            for m in per_image_metrics(teacher_logits is not None)}


def classification_metrics(logits: Tensor, targets: Tensor) -> dict[str, float]:
    """The metrics that need no teacher, named without their split (``acc``, ``nll``, ``ece``: the validation
    curves write ``val_{name}``)."""
    return {name.removeprefix("test_"): value for name, value in evaluate(logits, targets).items()}
