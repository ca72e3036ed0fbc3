"""A new metric is one function and one registry entry: registered here, the final runs' evaluation writes it to
runs.csv, the report puts it in the main table, declares a question on it by default, compares the methods on it
(with the test sample's variance) and states the result, with no other file changed."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from test_report import make_experiment

from renyi_kd.layout import Layout
from renyi_kd.metrics import Metric, register_metric, unregister_metric
from renyi_kd.report import build_report, report_settings


def top_margin(logits, targets, teacher_logits, *, dtype, reduction):
    """A toy metric: the margin between the two largest predicted probabilities."""
    top2 = logits.to(dtype).softmax(-1).topk(2).values
    values = top2[:, 0] - top2[:, 1]
    return values.mean() if reduction == "mean" else values


@pytest.fixture
def toy_metric():
    metric = register_metric(Metric(name="top_margin", long_name="top-2 probability margin", higher_is_better=True,
                                    text="Margin", latex="Margin", compute=top_margin))
    yield metric
    unregister_metric("top_margin")


def test_a_registered_metric_is_configurable(toy_metric) -> None:
    settings = report_settings({"comparisons": [{"metric": "top_margin"}], "equivalence_margin": {"top_margin": 0.05}})
    assert [q.metric for q in settings.questions] == ["top_margin"] and settings.margin("top_margin") == 0.05


def test_a_registered_metric_reaches_runs_table_comparisons_and_report(toy_metric, tmp_path: Path) -> None:
    exp_dir = make_experiment(tmp_path, optional=False)  # runs.csv as the final runs write it (metrics.evaluate)
    files = Layout(exp_dir).report
    runs = pd.read_csv(files.runs)
    assert runs["top_margin"].between(0, 1).all()
    report = build_report(exp_dir)
    header = next(line for line in files.table("main", "md").read_text(encoding="utf-8").splitlines()
                  if line.startswith("| Method"))
    assert header.rstrip(" |").endswith("Margin")  # the registry's last column
    main = pd.read_csv(files.table("main", "csv")).set_index("method")
    assert main["top_margin_mean"].to_dict() == pytest.approx(runs.groupby("method")["top_margin"].mean().to_dict())
    comparisons = pd.read_csv(files.table("comparisons", "csv"))
    toy = comparisons[comparisons["metric"] == "top_margin"]
    assert set(toy["family"]) == {"top_margin"} and len(toy) == len(comparisons[comparisons["metric"] == "test_acc"])
    assert set(toy["interval"]) == {"seeds+images"}  # its per-image values reproduce runs.csv: the test sample counted
    text = report.read_text(encoding="utf-8")
    assert "top-2 probability margin" in text and "| Margin" in text
