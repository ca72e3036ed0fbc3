"""Figures of the comparisons and of the tuning budget, each as ``{name}.pdf`` and ``{name}.png``.

- ``forest_vs_reference``: every method's difference to the equivalence reference on the headline metric (test
  accuracy) with its interval, the equivalence margin shaded and the verdict written beside it (any method set:
  methods without a Rényi order appear here even though ``accuracy_vs_alpha`` has no place for them).
- ``tuning_budget``: expected best validation objective against the number of trials (Dodge et al. 2019), one
  line per method with a band of one standard deviation.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
import numpy as np
import pandas as pd
import seaborn as sns

from renyi_kd.metrics import HEADLINE
from renyi_kd.report.artefacts import figure
from renyi_kd.report.comparison_tables import metric_name
from renyi_kd.report.context import ReportContext
from renyi_kd.report.figures import FIG_WIDTH, figure_style, objective_axis, save_figure
from renyi_kd.report.inference import against
from renyi_kd.report.methods import MethodCatalog, method_line_styles

__all__ = ["forest_figure", "tuning_budget_figure"]

logger = logging.getLogger(__name__)


def forest_figure(
    comparisons: pd.DataFrame, methods: Sequence[str], catalog: MethodCatalog, out_dir: Path, *, reference: str,
    metric: str = HEADLINE, margin: float | None = None, name: str = "forest_vs_reference",
) -> list[Path] | None:  # fmt: skip
    """Difference to ``reference`` (percentage points) with interval per method; margin band; verdict text."""
    palette = catalog.colours
    rows = [row for m in methods if m != reference and (row := against(comparisons, m, reference, metric))]
    if not rows:
        logger.info("no comparison against %s on %s: figure %s skipped", reference, metric, name)
        return None
    y = np.arange(len(rows))[::-1]  # report order from the top
    with figure_style():
        fig, ax = plt.subplots(figsize=(FIG_WIDTH, 0.55 + 0.2 * len(rows)), constrained_layout=True)
        if margin:
            ax.axvspan(-100 * margin, 100 * margin, color="0.9", lw=0, zorder=0,
                       label=f"equivalence margin ±{100 * margin:g} pp")  # fmt: skip
        ax.axvline(0, color="0.4", lw=0.7, zorder=1)
        for position, row in zip(y, rows):
            diff, low, high = (100 * row[k] for k in ("diff", "ci_low", "ci_high"))
            ax.errorbar(diff, position, xerr=[[diff - low], [high - diff]], fmt="o", color=palette[row["method"]],
                        ms=4, capsize=1.5, elinewidth=1, mec="white", mew=0.5, zorder=3)  # fmt: skip
            ax.annotate(row["verdict"], (1.02, position), xycoords=ax.get_yaxis_transform(), va="center", fontsize=6)
        ax.set_yticks(y, [catalog.label(row["method"], "mpl") for row in rows])
        ax.set_ylim(-0.7, len(rows) - 0.3)
        ax.set_xlabel(f"{metric_name(metric)}: method − {catalog.label(reference, 'mpl')} (pp)")
        if margin:
            ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False)
        sns.despine(ax=ax)
        return save_figure(fig, out_dir, name)


def tuning_budget_figure(
    budget: pd.DataFrame, catalog: MethodCatalog, out_dir: Path, *, objective: str = "val_acc"
) -> list[Path] | None:
    """Expected best validation objective (line) ± one standard deviation (band) against k."""
    if budget.empty:
        logger.info("no tuning trials: figure tuning_budget skipped")
        return None
    label, scale = objective_axis(objective)
    with figure_style():
        fig, ax = plt.subplots(figsize=(FIG_WIDTH, 3.4), constrained_layout=True)
        palette = catalog.colours
        styles = method_line_styles(palette)
        for method, curve in budget.groupby("method", sort=False):
            colour = palette[method]
            mean, std = scale * curve["expected_best"], scale * curve["std"]
            ax.plot(curve["k"], mean, color=colour, ls=styles[method], label=catalog.label(method, "mpl"))
            ax.fill_between(curve["k"], mean - std, mean + std, color=colour, alpha=0.08, lw=0)
        ax.set_xlabel("number of trials $k$")
        ax.xaxis.set_major_locator(mticker.MaxNLocator(integer=True))
        ax.set_ylabel(f"expected best {label}")
        if objective == "val_nll":  # the first draws are far above the rest; differences show on a log scale
            ax.set_yscale("log")
            means = scale * budget["expected_best"]
            ax.set_ylim(0.7 * means.min(), 1.3 * means.max())  # bands past the lines' range are cut by the frame
        # Below the axes in two columns: long method labels must not squeeze the plot.
        fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncol=2, frameon=False)
        sns.despine(ax=ax)
        return save_figure(fig, out_dir, "tuning_budget")


@figure("forest_vs_reference", section="results", rank=-1, needs=("comparisons",), caption="Test accuracy of every "
        "method minus {reference}, in percentage points, with its {level}% interval (clusters or, with one cluster, "
        "seeds as units; test sample included; paired); shaded: the equivalence margin; right: the verdict of the "
        "declared question.")
def _forest_vs_reference(report: ReportContext) -> list[Path] | None:
    return forest_figure(report.comparisons, report.methods, report.catalog, report.figures,
                         reference=report.reference, margin=report.settings.margin(HEADLINE))


@figure("tuning_budget", section="tuning", rank=-1, needs=("budget",), caption="Expected best validation objective "
        "after k trials (Dodge et al. 2019), per method: the best of k judged trials drawn without replacement from "
        "the study; band: ± one standard deviation.")
def _tuning_budget(report: ReportContext) -> list[Path] | None:
    objective = report.objective[0] if report.objective else "val_acc"
    return tuning_budget_figure(report.budget, report.catalog, report.figures, objective=objective)
