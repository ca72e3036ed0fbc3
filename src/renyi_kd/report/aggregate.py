"""The aggregate stage: one row per final run, and a first results table."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from renyi_kd.files import read_json, write_text
from renyi_kd.layout import Layout


def collect_runs(metrics_files: list[Path]) -> pd.DataFrame:
    """One row per final run, by method, then cluster (teacher, repeat), then seed."""
    runs = pd.DataFrame([read_json(path) for path in metrics_files])
    return runs.sort_values(["method", "teacher", "repeat", "seed"], kind="stable")


def _mean_std(values: pd.Series) -> str:
    std = values.std()
    return f"{values.mean():.4f} ± {0.0 if pd.isna(std) else std:.4f}"


def accuracy_table(runs: pd.DataFrame, teachers: list[dict], methods: list[str]) -> str:
    """Markdown: method x test accuracy (mean ± std over clusters and seeds), the teachers first (one: its
    accuracy; several: mean ± std over teachers)."""
    grouped = runs.groupby("method")["test_acc"]  # over clusters and seeds
    accuracy = pd.Series([teacher["test_acc"] for teacher in teachers])
    shown = f"{accuracy.iloc[0]:.4f}" if len(teachers) == 1 else _mean_std(accuracy)
    rows = [f"| teacher ({teachers[0]['model']}) | {shown} | {len(teachers)} |"]
    for method in methods:
        if method in grouped.groups:
            values = grouped.get_group(method)
            rows.append(f"| {method} | {_mean_std(values)} | {len(values)} |")
    return "\n".join(["| method | test accuracy | runs |", "|---|---|---|", *rows]) + "\n"


def aggregate(metrics_files: list[Path], layout: Layout, methods: list[str]) -> Path:
    """runs.csv of the final runs ``metrics_files`` and the first results table beside it (with the metrics of
    the runs' teachers)."""
    runs = collect_runs(metrics_files)
    report = layout.report
    write_text(report.runs, runs.to_csv(index=False))
    teachers = [read_json(layout.teacher(int(seed)).metrics) for seed in sorted(runs["teacher"].unique())]
    write_text(report.accuracy, accuracy_table(runs, teachers, methods))
    return report.runs
