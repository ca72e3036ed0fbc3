"""Do fixed hyperparameters transfer across orders? Every cell of an untuned grid against the same order's
**tuned** final runs in another experiment (``report.own_tuned``: e.g. the default run), paired by teacher and
seed, with the equivalence margin.

A cell ``renyi-a2-hinton`` (order 2 under the T² scaling at KL's tuned values) is compared with the final runs
of the method of order 2 that the other experiment tuned (named ``tuned-a2`` here). The teachers must be the same
networks (same seeds, same weights: checked on the teachers' weight digests) for the pairs to mean anything.
One Holm family holds every cell. The answer: under which scaling every order is equivalent to its own tuned
result, i.e. under which scaling the hyperparameters tuned for one order serve the others.

- :func:`own_tuned_comparisons`: the comparisons (``comparisons.csv``'s columns, family ``own-tuned``) and the
  tuned runs' per-method intervals.
- figure ``scaling_transfer``: test accuracy and validation NLL against α, one line per scaling, the tuned
  results as black crosses.
- :func:`own_tuned_answer`: the answer in words.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from renyi_kd.files import read_json
from renyi_kd.layout import Layout, study_id
from renyi_kd.metrics import HEADLINE
from renyi_kd.report.artefacts import figure, table
from renyi_kd.report.comparison_tables import comparison_tables, fmt_difference, fmt_margin
from renyi_kd.report.context import ReportContext
from renyi_kd.report.figures import FIG_WIDTH, figure_style, interval_errorbars, save_figure
from renyi_kd.report.formatting import Table
from renyi_kd.report.image_inputs import load_image_values
from renyi_kd.report.inference import compare, method_intervals
from renyi_kd.report.inputs import load_runs
from renyi_kd.report.questions import Hypothesis
from renyi_kd.report.settings import ReportSettings

__all__ = ["FAMILY", "TUNED", "OwnTuned", "own_tuned_answer", "own_tuned_comparisons"]

FAMILY = "own-tuned"
TUNED = "tuned-a{alpha}"  # the other experiment's tuned method of order alpha, as named in the comparisons


@dataclasses.dataclass
class OwnTuned:
    """The comparisons of each cell with its order's tuned runs, the tuned runs (renamed) and their intervals."""

    experiment: str
    comparisons: pd.DataFrame
    runs: pd.DataFrame
    intervals: pd.DataFrame


def _tuned_name(alpha: float) -> str:
    return TUNED.format(alpha=f"{alpha:g}")


def _cells(runs: pd.DataFrame) -> pd.DataFrame:
    """One row per distillation method of ``runs``: method, divergence, alpha, scaling."""
    cells = runs[runs["divergence"].notna() & runs["alpha"].notna()]
    return cells[["method", "divergence", "alpha", "scaling"]].drop_duplicates("method").reset_index(drop=True)


def _match(cell: pd.Series, tuned: pd.DataFrame) -> str | None:
    """The other experiment's method of the cell's divergence and order (of its scaling where several are)."""
    same = tuned[(tuned["divergence"] == cell["divergence"]) & np.isclose(tuned["alpha"], cell["alpha"])]
    if same["method"].nunique() > 1:
        same = same[same["scaling"] == cell["scaling"]]
    names = same["method"].unique()
    return str(names[0]) if len(names) == 1 else None


def _with_val_nll(exp_dir: Path, runs: pd.DataFrame) -> pd.DataFrame:
    """``runs`` with ``val_nll`` read from each run's history where runs.csv lacks it (runs made before final runs
    recorded it)."""
    for i in runs.index[runs["val_nll"].isna()]:
        row = runs.loc[i]
        path = Layout(exp_dir).final(study_id(row["method"], int(row["teacher"]), int(row["repeat"])),
                                     int(row["seed"])).history
        if path.is_file():
            history = pd.read_csv(path)
            if "val_nll" in history and history["val_nll"].notna().any():
                runs.loc[i, "val_nll"] = float(history["val_nll"].dropna().iloc[-1])
    return runs


def _teachers_differ(exp_dir: Path, other_dir: Path, seeds: list[int]) -> list[int]:
    """The teacher seeds whose weights differ between the two experiments (or are missing in one)."""
    def sha(root: Path, seed: int) -> str | None:
        path = Layout(root).teacher(seed).metrics
        return read_json(path).get("weights_sha256") if path.is_file() else None

    return [s for s in seeds if sha(exp_dir, s) is None or sha(exp_dir, s) != sha(other_dir, s)]


def own_tuned_comparisons(exp_dir: Path, runs: pd.DataFrame, settings: ReportSettings, images: dict,
                          metrics: list[str]) -> tuple[OwnTuned | None, list[str]]:
    """Every distillation method of ``runs`` against the same order's tuned runs of ``settings.own_tuned`` (an
    experiment beside ``exp_dir``), on ``HEADLINE`` with the margin; None (with a note) when those runs are
    missing, and notes on orders without a tuned counterpart and teachers that differ."""
    name = settings.own_tuned
    other_dir = exp_dir.parent / name
    runs_file = Layout(other_dir).report.runs
    if not runs_file.is_file():
        return None, [f"No runs of {name} at {runs_file}: the comparison with each order's own tuned result needs "
                      f"that experiment's final runs (run it first, e.g. `make run` for the default)."]
    tuned_all = load_runs(runs_file)
    cells = _cells(runs)
    cells["match"] = [_match(cell, tuned_all) for _, cell in cells.iterrows()]
    several = {a for a, group in cells.dropna(subset=["match"]).groupby("alpha") if group["match"].nunique() > 1}
    notes, hypotheses, renames = [], [], {}
    for _, cell in cells.iterrows():
        if pd.isna(cell["match"]) or cell["alpha"] in several:
            notes.append(f"{cell['method']}: {name} has no single tuned method of order {cell['alpha']:g}; "
                         "not compared with a tuned result.")
            continue
        renames[cell["match"]] = _tuned_name(float(cell["alpha"]))
        hypotheses.append(Hypothesis(FAMILY, HEADLINE, cell["method"], renames[cell["match"]]))
    if not hypotheses:
        return None, notes
    tuned = _with_val_nll(other_dir, tuned_all[tuned_all["method"].isin(renames)].copy())
    tuned_images, image_notes = load_image_values(other_dir, tuned)
    tuned = tuned.assign(method=tuned["method"].map(renames))
    images = {**images, **{(renames[k[0]], *k[1:]): v for k, v in tuned_images.items()}}
    differ = _teachers_differ(exp_dir, other_dir, sorted(int(t) for t in runs["teacher"].unique()))
    if differ:
        notes.append(f"The teachers of seed(s) {differ} differ from {name}'s (weights, or metrics missing): the "
                     "pairs share seeds and splits but not teachers.")
    against = dataclasses.replace(settings, equivalence_reference=TUNED)
    comparisons, compare_notes = compare(pd.concat([runs, tuned], ignore_index=True), hypotheses, against, images)
    intervals = method_intervals(tuned, list(dict.fromkeys(tuned["method"])), metrics, settings, images)
    return OwnTuned(name, comparisons, tuned, intervals), notes + image_notes + compare_notes


def _per_alpha(report: ReportContext, metric: str) -> pd.DataFrame:
    """The grid's methods' mean and interval of ``metric`` with their alpha and scaling."""
    cells = _cells(report.runs)
    rows = report.summary[report.summary["metric"] == metric].merge(cells, on="method")
    return rows.dropna(subset=["mean"])


@figure("scaling_transfer", section="results", rank=-2, needs=("summary",),
        applies=lambda report: report.settings.own_tuned is not None,
        caption="Test accuracy (top) and validation NLL (bottom) against the order α at fixed hyperparameters, one "
        "line per scaling of the soft term; black crosses: each order's own tuned result in the experiment "
        "`report.own_tuned` names (same teachers and seeds). Mean over clusters and seeds with the {level}% "
        "clustered interval.")
def _scaling_transfer(report: ReportContext) -> list[Path] | None:
    panels = [("test_acc", "test accuracy (%)", 100.0), ("val_nll", "validation NLL", 1.0)]
    data = {metric: _per_alpha(report, metric) for metric, _, _ in panels}
    if data["test_acc"].empty:
        return None
    tuned = report.own_tuned
    with figure_style():
        fig, axes = plt.subplots(2, 1, figsize=(FIG_WIDTH, 3.8), sharex=True, constrained_layout=True)
        for ax, (metric, label, scale) in zip(axes, panels):
            groups = data[metric].groupby("scaling", sort=True)
            for i, (scaling, part) in enumerate(groups):  # side by side, the tuned crosses to the right
                part = part.sort_values("alpha")
                interval_errorbars(ax, part["alpha"] * (1 + 0.05 * (i - (groups.ngroups - 1) / 2)), part, scale,
                                   fmt="o-", color=f"C{i}", label=f"s: {scaling}", markersize=3.5)  # fmt: skip
            if tuned is not None:
                own = tuned.intervals[tuned.intervals["metric"] == metric].copy()
                by_method = tuned.runs.groupby("method")
                own["mean"] = own["method"].map(by_method[metric].mean())
                own["alpha"] = own["method"].map(by_method["alpha"].first())
                own = own.dropna(subset=["mean"]).sort_values("alpha")
                if not own.empty:
                    interval_errorbars(ax, own["alpha"] * (1 + 0.05 * (groups.ngroups + 1) / 2), own, scale, fmt="x",
                                       color="black", label="own tuned", markersize=3.5)
            ax.set_ylabel(label)
            ax.set_xscale("log")
            alphas = sorted(data["test_acc"]["alpha"].unique())
            ax.set_xticks(alphas, [f"{a:g}" for a in alphas])
            ax.xaxis.set_minor_locator(plt.NullLocator())
            ax.grid(axis="y", linewidth=0.3)
        axes[0].legend(loc="best", frameon=False)
        axes[-1].set_xlabel("order α")
        return save_figure(fig, report.figures, "scaling_transfer")


@table("own_tuned", section="results", rank=-1, needs=("own_tuned",),
       applies=lambda report: report.settings.own_tuned is not None, caption="Every order at fixed "
       "hyperparameters against the same order tuned on its own (report.own_tuned), paired by teacher and seed: the "
       "difference with its {level}% interval, the t-test and the TOST equivalence test, Holm-adjusted over the "
       "cells, and the verdict.")
def _own_tuned_table(report: ReportContext) -> Table | None:
    tables = comparison_tables(report.own_tuned.comparisons, report.level)
    return dataclasses.replace(tables[0], name="own_tuned") if tables else None


def own_tuned_answer(report: ReportContext) -> str | None:
    """Under which scaling every order is equivalent to its own tuned result (the hyperparameters transfer)."""
    tuned = report.own_tuned
    margin = report.settings.margin(HEADLINE)
    if tuned is None or tuned.comparisons.empty or margin is None:
        return None
    rows = tuned.comparisons.merge(_cells(report.runs), on="method")
    transfer, parts = [], []
    for scaling, group in rows.groupby("scaling", sort=True):
        group = group.sort_values("alpha")
        listed = ", ".join(f"α {a:g} {v} ({fmt_difference(HEADLINE, d)})"
                           for a, v, d in zip(group["alpha"], group["verdict"], group["diff"]))
        parts.append(f"s = {scaling}: {listed}")
        transfer += [str(scaling)] if (group["verdict"] == "equivalent").all() else []
    orders = ", ".join(f"{a:g}" for a in sorted(rows["alpha"].unique()))
    head = (f"**Do the hyperparameters transfer across orders?** Each order at KL's tuned values against the same "
            f"order tuned on its own in {tuned.experiment} (the orders it tuned: {orders}; test accuracy, same "
            f"teachers and seeds, margin {fmt_margin(HEADLINE, margin)}, Holm over the {len(rows)} cells): ")
    answer = (f"every one of these orders stays within the margin of its own tuned result under s = "
              f"{', '.join(transfer)}." if transfer else "under no scaling is every one of these orders shown to stay "
              "within the margin of its own tuned result.")  # fmt: skip
    return head + answer + " " + "; ".join(parts) + "."
