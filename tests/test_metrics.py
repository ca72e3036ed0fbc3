"""Every metric of the registry against its closed form on a hand-made batch, in both precisions: a run's
value (float32 means, :func:`renyi_kd.metrics.evaluate`) and the bootstrap's per-image values (float64)."""

from __future__ import annotations

import math

import pytest
import torch

from renyi_kd.metrics import COMPARABLE, COMPARED_BY_DEFAULT, METRICS, evaluate, per_image_metrics
from renyi_kd.report.image_metrics import image_values

# Four images, three classes; logits are log-probabilities, so every softmax below is the row as written.
STUDENT = [[0.7, 0.2, 0.1], [0.1, 0.62, 0.28], [0.5, 0.4, 0.1], [0.2, 0.15, 0.65]]
TEACHER = [[0.8, 0.1, 0.1], [0.2, 0.5, 0.3], [0.3, 0.6, 0.1], [0.1, 0.1, 0.8]]
TARGETS = [0, 1, 1, 2]  # the student is right on images 0, 1 and 3
LOGITS = torch.tensor(STUDENT, dtype=torch.float64).log()
TEACHER_LOGITS = torch.tensor(TEACHER, dtype=torch.float64).log()


def _ece() -> float:
    """15 equal-width bins: confidences 0.7, 0.62, 0.5 and 0.65 fall in bins 10, 9, 7 and 9 (none on an edge)."""
    gaps = {10: 1 - 0.7, 9: (1 - 0.62) + (1 - 0.65), 7: 0 - 0.5}
    return sum(abs(g) for g in gaps.values()) / 4


CLOSED_FORM = {
    "test_acc": 3 / 4,
    "test_nll": -(math.log(0.7) + math.log(0.62) + math.log(0.4) + math.log(0.65)) / 4,
    "test_ece": _ece(),
    "agreement": 3 / 4,  # the teacher prefers class 1 on image 2
    "fidelity_kl": sum(t * math.log(t / s) for rows in zip(TEACHER, STUDENT) for t, s in zip(*rows)) / 4,
}


def test_every_per_image_metric_has_a_closed_form() -> None:
    assert {m.name for m in per_image_metrics()} == set(CLOSED_FORM)


@pytest.mark.parametrize("name", list(CLOSED_FORM))
def test_a_metric_matches_its_closed_form_in_both_precisions(name: str) -> None:
    assert evaluate(LOGITS, torch.tensor(TARGETS), TEACHER_LOGITS)[name] == pytest.approx(CLOSED_FORM[name], rel=1e-6)
    values = image_values(LOGITS, torch.tensor(TARGETS), TEACHER_LOGITS)[name]
    # ECE bins float32 confidences in both precisions: the float64 path agrees to float32 rounding only.
    assert values.n_images == 4 and values.value() == pytest.approx(CLOSED_FORM[name], rel=1e-6)


def test_metrics_that_need_the_teacher_wait_for_it() -> None:
    without = evaluate(LOGITS, torch.tensor(TARGETS))
    assert set(without) == {m.name for m in per_image_metrics() if not m.needs_teacher}
    assert set(image_values(LOGITS, torch.tensor(TARGETS))) == set(without)


def test_records_say_how_each_metric_is_shown() -> None:
    for metric in METRICS.values():
        assert metric.text and metric.latex and metric.long_name and metric.decimals >= 0
        assert metric.difference_unit == (" pp" if metric.unit == "%" else f" {metric.unit}" if metric.unit else "")
    assert "wall_time_s" in METRICS and not METRICS["wall_time_s"].per_image  # a run-level metric of runs.csv
    assert set(COMPARED_BY_DEFAULT) == {m.name for m in per_image_metrics()}  # an entry without a metric
    assert set(COMPARABLE) == {*COMPARED_BY_DEFAULT, "omitted_acc", "omitted_acc_shifted"}  # what may be declared
