"""The dark-knowledge part of a report (``data.omit_classes``, :mod:`renyi_kd.dark_knowledge`): how well each
student classifies test images of classes its transfer set never showed, as trained and with the bias shift
chosen on validation, and what the shift costs the other classes.

- figure ``dark_knowledge``: per method (the order α on the axis, the student alone first) the accuracy on the
  omitted classes (top) and on the others (bottom), without and with the shift, with the clustered intervals of
  the summary.
- :func:`dark_knowledge_answer`: the same in words.

Both apply only to an experiment whose runs carry ``omitted_acc`` (runs.csv's ``omit_classes`` names the classes).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from renyi_kd.report.artefacts import figure
from renyi_kd.report.context import ReportContext
from renyi_kd.report.figures import FIG_WIDTH, figure_style, interval_errorbars, save_figure

__all__ = ["dark_knowledge_answer", "dark_knowledge_rows", "omits_classes"]

_PANELS = (("omitted", "omitted classes"), ("kept", "other classes"))
_STATES = (("", "as trained", "o", "none"), ("_shifted", "with the bias shift", "o", None))


def omits_classes(report: ReportContext) -> bool:
    return report.runs is not None and "omitted_acc" in report.runs and report.runs["omitted_acc"].notna().any()


def omitted_classes(runs: pd.DataFrame) -> str:
    """The omitted classes as the runs record them ("3", "3 8")."""
    values = runs["omit_classes"].dropna().astype(str).unique() if "omit_classes" in runs else []
    return ", ".join(values) if len(values) else "?"


def dark_knowledge_rows(report: ReportContext) -> pd.DataFrame:
    """Per method and metric of the dark-knowledge part: mean, ci_low, ci_high (fractions) and the method's label;
    the methods without an order first (the student alone), then by α."""
    metrics = [f"{panel}_acc{state}" for panel, _ in _PANELS for state, *_ in _STATES] + ["bias_shift"]
    rows = report.summary[report.summary["metric"].isin(metrics) & report.summary["mean"].notna()].copy()
    alphas = {m: report.catalog.alpha(m) for m in rows["method"].unique()}
    rows["alpha"] = rows["method"].map(lambda m: -np.inf if alphas[m] is None else alphas[m])
    short = {m: report.catalog.label(m) if a is None else f"α = {a:g}" for m, a in alphas.items()}
    unique = len(set(short.values())) == len(short)  # else two methods share an order: their full labels
    rows["label"] = [short[m] if unique else report.catalog.label(m) for m in rows["method"]]
    return rows.sort_values(["alpha", "method"], kind="stable").reset_index(drop=True)


@figure("dark_knowledge", section="results", rank=-1, needs=("summary",), applies=omits_classes,
        caption="Accuracy on the test images of the classes the transfer set omits (top) and on the other classes "
        "(bottom), per method (α: the Rényi order; the student alone has no teacher), as trained (open) and with "
        "the bias shift of the omitted classes' logits chosen on validation (filled); mean over clusters and seeds "
        "with the {level}% clustered interval.")
def _dark_knowledge(report: ReportContext) -> list[Path] | None:
    rows = dark_knowledge_rows(report)
    return dark_knowledge_figure(rows, report.figures, omitted_classes(report.runs)) if not rows.empty else None


def dark_knowledge_figure(rows: pd.DataFrame, out_dir: Path, classes: str) -> list[Path]:
    labels = list(dict.fromkeys(rows["label"]))
    x = np.arange(len(labels))
    with figure_style():
        fig, axes = plt.subplots(2, 1, figsize=(FIG_WIDTH, 3.6), sharex=True, constrained_layout=True)
        for ax, (panel, title) in zip(axes, _PANELS):
            for offset, (state, name, marker, face) in zip((-0.12, 0.12), _STATES):
                part = rows[rows["metric"] == f"{panel}_acc{state}"].set_index("label").reindex(labels)
                interval_errorbars(ax, x + offset, part, 100.0, fmt=marker, color="C0", mfc=face or "C0", label=name)
            ax.set_ylabel(f"{title} (%)" if panel == "kept" else f"class {classes} (%)")
            ax.set_title(f"accuracy on the {title}" + (f" ({classes})" if panel == "omitted" else ""), loc="left")
            ax.grid(axis="y", linewidth=0.3)
        axes[0].legend(loc="best", frameon=False)
        axes[-1].set_xticks(x, labels, rotation=30, ha="right")
        return save_figure(fig, out_dir, "dark_knowledge")


def dark_knowledge_answer(report: ReportContext) -> str | None:
    """The figure in words: per method the omitted classes' accuracy without and with the shift, and the cost."""
    if not omits_classes(report):
        return None
    rows = dark_knowledge_rows(report)
    value = rows.set_index(["label", "metric"])

    def shown(label: str, metric: str, interval: bool = True) -> str:
        r = value.loc[(label, metric)]
        bounds = f" [{100 * r['ci_low']:.1f}, {100 * r['ci_high']:.1f}]" if interval and np.isfinite(r["ci_low"]) else ""
        return f"{100 * r['mean']:.1f}%{bounds}"

    parts = [f"{label} {shown(label, 'omitted_acc', False)} → {shown(label, 'omitted_acc_shifted')} (other classes "
             f"{shown(label, 'kept_acc', False)} → {shown(label, 'kept_acc_shifted', False)})"
             for label in dict.fromkeys(rows["label"])]  # fmt: skip
    return (f"**Dark knowledge of class {omitted_classes(report.runs)}**, which the transfer set never shows: "
            "accuracy on its test images as trained → with the bias shift of its logits chosen on validation "
            f"(never on test), with the {100 * report.level:g}% interval: " + "; ".join(parts) + ".")
