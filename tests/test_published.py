"""Published numbers (docs/published.yaml) join a CIFAR experiment's main table as reference rows, untested."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from renyi_kd.report.published import published_rows
from renyi_kd.report.tables import main_table

LEDGER = Path(__file__).resolve().parents[1] / "docs" / "published.yaml"


def runs(dataset: str, teacher: str, student: str) -> pd.DataFrame:
    return pd.DataFrame([{"method": m, "dataset": dataset, "teacher_model": teacher, "student": student, "seed": s,
                          "test_acc": 0.7 + 0.01 * s} for m in ("ce", "kl") for s in range(3)])


def test_the_experiments_pair_adds_its_published_rows_to_the_main_table() -> None:
    rows = published_rows(LEDGER, runs("cifar100", "resnet32x4", "resnet8x4"))
    assert [(r.method, r.test_acc) for r in rows] == [("ce", 0.725), ("kl", 0.7333)]
    summary = pd.DataFrame([{"method": m, "metric": "test_acc", "n": 3, "mean": 0.71, "std": 0.01,
                             "ci_low": 0.70, "ci_high": 0.72} for m in ("ce", "kl")])
    empty = pd.DataFrame(columns=["metric", "method", "reference", "verdict"])
    table = main_table(summary, empty, ["ce", "kl"], {}, rows)
    text = table.to_markdown()
    assert "| Published: KL (Hinton)" in text and "| Published: CE (student alone)" in text
    assert "73.33" in text and "72.50" in text
    assert "CRD" in text or "Contrastive Representation Distillation" in text  # the source is named
    assert list(table.data["method"])[-2:] == ["published:ce", "published:kl"]


def test_no_published_rows_for_another_pair_or_without_a_file() -> None:
    assert published_rows(LEDGER, runs("digits", "resnet18", "test_resnet")) == []
    assert published_rows(None, runs("cifar100", "resnet32x4", "resnet8x4")) == []
