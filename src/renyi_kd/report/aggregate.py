"""The aggregate stage: one row per final run, and a first results table."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from renyi_kd.files import read_json, write_text
from renyi_kd.layout import Layout


def collect_runs(metrics_files: list[Path]) -> pd.DataFrame:
    runs = pd.DataFrame([read_json(path) for path in metrics_files])
    return runs.sort_values(["method", "repeat", "seed"], kind="stable")


def accuracy_table(runs: pd.DataFrame, teacher: dict, methods: list[str]) -> str:
    """Markdown: method x test accuracy (mean ± std over seeds), the teacher first."""
    grouped = runs.groupby("method")["test_acc"].agg(["mean", "std", "count"])  # over repeats and seeds
    rows = [f"| teacher ({teacher['model']}) | {teacher['test_acc']:.4f} | 1 |"]
    for method in methods:
        if method in grouped.index:
            mean, std, count = grouped.loc[method]
            rows.append(f"| {method} | {mean:.4f} ± {0.0 if pd.isna(std) else std:.4f} | {int(count)} |")
    return "\n".join(["| method | test accuracy | runs |", "|---|---|---|", *rows]) + "\n"


def aggregate(metrics_files: list[Path], layout: Layout, methods: list[str]) -> Path:
    """runs.csv of the final runs ``metrics_files`` and the first results table beside it."""
    runs = collect_runs(metrics_files)
    report = layout.report
    write_text(report.runs, runs.to_csv(index=False))
    write_text(report.accuracy, accuracy_table(runs, read_json(layout.teacher.metrics), methods))
    return report.runs
