"""Thesis figures (seaborn/matplotlib), each written as ``{name}.pdf`` and ``{name}.png`` (200 dpi) and
registered with its caption as a report artefact (:func:`renyi_kd.report.artefacts.figure`).

Figures are about 3.4 in wide (one thesis column). Colours come only from
:meth:`renyi_kd.report.methods.MethodCatalog.palette`, so a method has one colour in every figure. Accuracies,
agreement and ECE are fractions in the inputs and shown in percent.

Theory figures (need no runs): ``temperature_scaling``, ``divergence_vs_alpha``, ``gradient_vs_temperature``.
Result figures: ``accuracy_vs_alpha``, ``tuned_vs_alpha``, ``optuna_landscape``, ``learning_curves``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axis import Axis
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from renyi_kd.metrics import HEADLINE
from renyi_kd.report.artefacts import figure
from renyi_kd.report.context import ReportContext
from renyi_kd.report.methods import MethodCatalog, Palette, method_line_styles
from renyi_kd.report.stats import mean_ci
from renyi_kd.report.theory import (
    GRADIENT_ALPHAS,
    divergence_vs_alpha_data,
    gradient_vs_temperature_data,
    temperature_scaling_data,
)

__all__ = [
    "FIG_WIDTH",
    "PNG_DPI",
    "accuracy_vs_alpha_figure",
    "divergence_vs_alpha_figure",
    "figure_style",
    "gradient_vs_temperature_figure",
    "interval_errorbars",
    "learning_curves_figure",
    "objective_axis",
    "optuna_landscape_figure",
    "save_figure",
    "temperature_scaling_figure",
    "tuned_vs_alpha_figure",
]

logger = logging.getLogger(__name__)
matplotlib.use("Agg")  # headless: the report is built by workflow jobs without a display

FIG_WIDTH = 3.4  # inches, one thesis column
PNG_DPI = 200
_NEUTRAL = "0.35"
_RC = {
    "font.size": 7.5,
    "axes.titlesize": 7.5,
    "axes.labelsize": 7.5,
    "xtick.labelsize": 6.5,
    "ytick.labelsize": 6.5,
    "legend.fontsize": 6,
    "legend.title_fontsize": 6.5,
    "lines.linewidth": 1.2,
    "lines.markersize": 4,
    "axes.linewidth": 0.6,
    "pdf.fonttype": 42,  # embed TrueType so text stays text in the thesis PDF
    "savefig.dpi": PNG_DPI,
}


@contextmanager
def figure_style() -> Iterator[None]:
    """Local seaborn/matplotlib style; restores global state on exit."""
    with sns.axes_style("ticks"), sns.plotting_context("paper"), plt.rc_context(_RC):
        yield


def objective_axis(objective: str) -> tuple[str, float]:
    """Axis label and scale of a tuning objective (accuracy in percent)."""
    return {"val_acc": ("validation accuracy (%)", 100.0), "val_nll": ("validation NLL", 1.0)}.get(
        objective, (f"validation {objective}", 1.0)
    )


def save_figure(fig: Figure, out_dir: Path, name: str) -> list[Path]:
    """Write ``{name}.pdf`` and ``{name}.png`` under ``out_dir``, close the figure, return both paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / f"{name}.pdf", out_dir / f"{name}.png"]
    for path in paths:
        fig.savefig(path, bbox_inches="tight", pad_inches=0.02, dpi=PNG_DPI)
    plt.close(fig)
    logger.info("figure %s written to %s", name, out_dir)
    return paths


def interval_errorbars(ax, x: Sequence[float], rows: pd.DataFrame, scale: float, **style) -> None:
    """Points at ``x`` with error bars from ``rows``' ``mean``, ``ci_low`` and ``ci_high`` (each times ``scale``)."""
    mean, low, high = (scale * rows[c].to_numpy(dtype=float) for c in ("mean", "ci_low", "ci_high"))
    ax.errorbar(np.asarray(x, dtype=float), mean, yerr=[mean - low, high - mean], capsize=2, **style)


def _plain_log_axis(axis: Axis) -> None:
    """Log-scale tick labels as plain numbers ("5", "0.2") instead of powers ("5x10^0").

    Minor ticks are labelled too when the axis spans less than a decade (else no major tick may show),
    otherwise only at mantissas 2 and 5.
    """

    def major(value: float, _: int) -> str:
        return f"{value:g}"

    def minor(value: float, _: int) -> str:
        low, high = axis.get_view_interval()
        if value <= 0 or low <= 0:
            return ""
        mantissa = round(value / 10 ** math.floor(math.log10(value) + 1e-9))
        if high / low < 10 or mantissa in (2, 5):
            return f"{value:g}"
        return ""

    axis.set_major_formatter(mticker.FuncFormatter(major))
    axis.set_minor_formatter(mticker.FuncFormatter(minor))


def _colour(palette: Palette, method: str) -> tuple[float, float, float]:
    if method not in palette:
        raise KeyError(f"method {method!r} has no colour; build the palette with MethodCatalog(methods=...)")
    return palette[method]


def _alpha_label(alpha: float) -> str:
    if alpha == 0:
        return "0"
    if math.isinf(alpha):
        return r"$\infty$"
    return f"{alpha:g}"


class _AlphaAxis:
    """Log x axis for Rényi orders with alpha = 0 and alpha = inf drawn at marked positions outside the data.

    ``position(alpha)`` maps 0 to a point a factor 4 left of the smallest positive order shown and inf to a
    point a factor 4 right of the largest; ticks at the orders used read "0" and "inf".
    """

    def __init__(self, alphas: Sequence[float], *, span: tuple[float, float] | None = None) -> None:
        finite = [a for a in alphas if 0 < a < math.inf]
        low, high = span if span else (min(finite + [1.0]), max(finite + [1.0]))
        self.zero = low / 4
        self.inf = high * 4
        self.alphas = sorted(set(alphas))

    def position(self, alpha: float) -> float:
        if alpha == 0:
            return self.zero
        if math.isinf(alpha):
            return self.inf
        return alpha

    def apply(self, ax: plt.Axes, ticks: Sequence[float] | None = None, *, narrow: bool = False) -> None:
        """Ticks at the orders shown; on a ``narrow`` panel only 0, 1, inf and the extremes carry labels."""
        ax.set_xscale("log")
        ticks = sorted(set(self.alphas if ticks is None else ticks))
        finite = [a for a in ticks if 0 < a < math.inf]
        labelled = {0.0, 1.0, math.inf, min(finite, default=1.0), max(finite, default=1.0)} if narrow else set(ticks)
        ax.set_xticks([self.position(a) for a in ticks], [_alpha_label(a) if a in labelled else "" for a in ticks])
        ax.minorticks_off()
        ax.set_xlabel(r"Rényi order $\alpha$")
        for alpha, edge in ((0.0, self.zero), (math.inf, self.inf)):
            if alpha in self.alphas:
                # A faint line separates the limit orders from the log-scaled finite ones.
                ax.axvline(edge * (2 if alpha == 0 else 0.5), color="0.85", lw=0.6, ls=":", zorder=0)


# ---------------------------------------------------------------------------------------- theory figures


def temperature_scaling_figure(out_dir: Path) -> list[Path]:
    """Thesis Figure 1.1: logits 5.4, 0.2, -1.3 (horse, zebra, car) and their softmax at T = 1 and T = 4."""
    data = temperature_scaling_data()
    panels = list(dict.fromkeys(data["panel"]))
    with figure_style():
        fig, axes = plt.subplots(1, len(panels), figsize=(FIG_WIDTH, 1.55), constrained_layout=True)
        for ax, panel in zip(axes, panels):
            part = data[data["panel"] == panel]
            ax.bar(part["class"], part["value"], color=_NEUTRAL, width=0.6)
            is_logit = panel == "logits"
            for x, value in enumerate(part["value"]):
                text = f"{value:.1f}" if is_logit else f"{value:.3f}"
                offset = 3 if value >= 0 else -8
                ax.annotate(text, (x, value), xytext=(0, offset), textcoords="offset points",
                            ha="center", fontsize=5.5)  # fmt: skip
            ax.set_title("logits $v$" if is_logit else f"softmax($v/T$), ${panel}$")
            if is_logit:
                ax.axhline(0, color="0.2", lw=0.6)
                ax.set_ylim(min(part["value"].min() * 1.8, 0), part["value"].max() * 1.25)
            else:
                ax.set_ylim(0, 1.15)
            ax.tick_params(axis="x", length=0)
            sns.despine(ax=ax)
        return save_figure(fig, out_dir, "temperature_scaling")


def divergence_vs_alpha_figure(out_dir: Path, catalog: MethodCatalog) -> list[Path]:
    """``D_alpha(P || Q)`` against alpha (0.01..100, log x) with the limits alpha = 0 and inf and KL at 1.

    Markers in the method colours show the orders of the catalog's methods.
    """
    data = divergence_vs_alpha_data()
    finite = data[(data["alpha"] > 0) & np.isfinite(data["alpha"])]
    value = dict(zip(data["alpha"], data["divergence"]))
    axis = _AlphaAxis([0.0, math.inf], span=(finite["alpha"].min(), finite["alpha"].max()))
    with figure_style():
        fig, ax = plt.subplots(figsize=(FIG_WIDTH, 2.1), constrained_layout=True)
        ax.plot(finite["alpha"], finite["divergence"], color=_NEUTRAL, lw=1.2, zorder=1,
                label=r"$D_\alpha(P\,\|\,Q)$")  # fmt: skip
        for alpha, marker in ((0.0, "<"), (math.inf, ">")):
            ax.plot(axis.position(alpha), value[alpha], marker=marker, color=_NEUTRAL, ls="none", ms=5)
        ax.axhline(value[math.inf], color="0.6", lw=0.7, ls="--", zorder=0)
        ax.annotate(r"$D_\infty$ = max$_i \log(p_i/q_i)$", (0.012, value[math.inf]), xytext=(0, -9),
                    textcoords="offset points", fontsize=6, color="0.3")  # fmt: skip
        shown = []
        for method, colour in catalog.colours.items():
            alpha = catalog.alpha(method)
            if alpha is None:
                continue
            x = axis.position(alpha)
            y = float(
                np.interp(np.log(alpha), np.log(finite["alpha"]), finite["divergence"])
            ) if 0 < alpha < math.inf else value[alpha]  # fmt: skip
            ax.plot(x, y, "o", color=colour, ms=5, mec="white", mew=0.6, zorder=3, label=catalog.label(method, "mpl"))
            shown.append(alpha)
        axis.apply(ax, ticks=sorted({0.0, 0.01, 0.1, 1.0, 10.0, 100.0, math.inf}))
        ax.set_ylabel(r"$D_\alpha(P\,\|\,Q)$ (nats)")
        ax.set_ylim(bottom=min(0.0, min(value.values())) - 0.01)
        ax.legend(loc="lower right", frameon=False, ncol=1)
        sns.despine(ax=ax)
        return save_figure(fig, out_dir, "divergence_vs_alpha")


def gradient_vs_temperature_figure(
    out_dir: Path, catalog: MethodCatalog, alphas: Sequence[float] = GRADIENT_ALPHAS
) -> list[Path]:
    """Mean ``|d(s D_alpha)/dz|`` against T for several alpha: ``s = T^2/alpha`` (left) and ``s = 1`` (right).

    Dashed lines: the high-temperature prediction ``(s alpha / (n T^2)) mean|z - v|``, i.e. the constant
    ``(1/n) mean|z - v|`` with the thesis scaling. The shaded band marks the usual temperatures 3..5.
    """
    data = gradient_vs_temperature_data(alphas)
    # An order no method has takes a colour after the methods' own (named by its order alone).
    names = {a: catalog.with_alpha(a) or f"alpha={a:g}" for a in alphas}
    extended = catalog.palette(extra=[name for name in names.values() if name not in catalog.methods])
    colours = {a: extended[names[a]] for a in alphas}
    with figure_style():
        fig, axes = plt.subplots(1, 2, figsize=(FIG_WIDTH, 1.9), constrained_layout=True)
        titles = {"thesis": r"$s = T^2/\alpha$ (thesis)", "none": r"$s = 1$ (unscaled)"}
        for ax, scaling in zip(axes, ("thesis", "none")):
            part = data[data["scaling"] == scaling]
            ax.axvspan(3, 5, color="0.92", lw=0, zorder=0)
            for alpha in alphas:
                rows = part[part["alpha"] == alpha]
                label = r"$\alpha = $" + f"{alpha:g}" + (" (KL)" if alpha == 1 else "")
                ax.plot(rows["T"], rows["grad"], color=colours[alpha], label=label)
                if scaling == "none":
                    ax.plot(rows["T"], rows["prediction"], color=colours[alpha], lw=0.7, ls="--")
            if scaling == "thesis":
                ax.axhline(part["prediction"].iloc[0], color="0.2", lw=0.8, ls="--",
                           label=r"$\frac{1}{n}|z-v|$ (high $T$)")  # fmt: skip
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.xaxis.set_major_formatter(mticker.FuncFormatter(lambda v, _: f"{v:g}"))
            ax.set_xlabel("temperature $T$")
            ax.set_title(titles[scaling])
            sns.despine(ax=ax)
        _plain_log_axis(axes[0].yaxis)
        axes[0].set_ylabel(r"mean $|\partial (s D_\alpha) / \partial z_j|$")
        fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncol=3, frameon=False,
                   handlelength=1.5)  # fmt: skip
        return save_figure(fig, out_dir, "gradient_vs_temperature")


# ---------------------------------------------------------------------------------------- result figures


def _metric_summary(summary: pd.DataFrame, metric: str) -> pd.DataFrame:
    return summary[summary["metric"] == metric].set_index("method")


def accuracy_vs_alpha_figure(
    summary: pd.DataFrame, out_dir: Path, catalog: MethodCatalog, *, metric: str = HEADLINE
) -> list[Path] | None:
    """Test accuracy (mean and the interval in ``summary``) against alpha, with the reference and the student
    alone as lines.

    Methods with a Rényi order (KL at alpha = 1) are points; other methods have no place on this axis (the
    forest plot shows them). The equivalence reference (dashed) and the student alone (dotted) are also
    horizontal lines (mean) with a light band (interval). Order 0 sits at the marked position "0" left of the
    log axis.
    """
    acc = _metric_summary(summary, metric)
    palette = catalog.colours
    points = [(m, catalog.alpha(m)) for m in acc.index if catalog.alpha(m) is not None]
    if not points:
        logger.info("no Rényi or KL runs: figure accuracy_vs_alpha skipped")
        return None
    if len({alpha for _, alpha in points}) < len(points):  # a grid over other settings: grid_vs_reference draws it
        logger.info("an order appears under several settings: figure accuracy_vs_alpha skipped")
        return None
    points.sort(key=lambda item: item[1])
    axis = _AlphaAxis([a for _, a in points])
    with figure_style():
        fig, ax = plt.subplots(figsize=(FIG_WIDTH, 2.2), constrained_layout=True)
        for ref, style in ((catalog.alone(acc.index), ":"), (catalog.reference, "--")):
            if ref not in acc.index:
                continue
            row = acc.loc[ref]
            colour = _colour(palette, ref)
            ax.axhline(100 * row["mean"], color=colour, ls=style, lw=1.0, zorder=1,
                       label=catalog.label(ref, "mpl"))  # fmt: skip
            if np.isfinite(row["ci_low"]):
                ax.axhspan(100 * row["ci_low"], 100 * row["ci_high"], color=colour, alpha=0.15, lw=0, zorder=0)
        xs = [axis.position(a) for _, a in points]
        ax.plot(xs, [100 * acc.loc[m, "mean"] for m, _ in points], color="0.75", lw=0.8, zorder=2)
        for (method, _), x in zip(points, xs):
            row = acc.loc[method]
            yerr = None
            if np.isfinite(row["ci_low"]):
                yerr = [[100 * (row["mean"] - row["ci_low"])], [100 * (row["ci_high"] - row["mean"])]]
            ax.errorbar(x, 100 * row["mean"], yerr=yerr, fmt="o", color=_colour(palette, method), ms=4.5,
                        capsize=2, elinewidth=1, mec="white", mew=0.5, zorder=3)  # fmt: skip
        axis.apply(ax)
        ax.set_ylabel("test accuracy (%)")
        ax.legend(loc="best", frameon=False)
        sns.despine(ax=ax)
        return save_figure(fig, out_dir, "accuracy_vs_alpha")


def tuned_vs_alpha_figure(tuned: pd.DataFrame, out_dir: Path, palette: Palette) -> list[Path] | None:
    """Tuned temperature T (log scale) and soft-term weight beta against alpha, one point per method."""
    rows = tuned[tuned["alpha"].notna() & (tuned["T"].notna() | tuned["beta"].notna())]
    if rows.empty:
        logger.info("no tuned T or beta for any distillation method: figure tuned_vs_alpha skipped")
        return None
    axis = _AlphaAxis(rows["alpha"].tolist())
    with figure_style():
        fig, axes = plt.subplots(1, 2, figsize=(FIG_WIDTH, 1.8), constrained_layout=True)
        for ax, column, label in zip(axes, ("T", "beta"), ("tuned temperature $T$", r"tuned weight $\beta$")):
            part = rows[rows[column].notna()].sort_values("alpha")
            line = part.groupby("alpha")[column].mean()  # tuning repeats: one point each, the line through their mean
            ax.plot([axis.position(a) for a in line.index], line, color="0.75", lw=0.8, zorder=1)
            for _, row in part.iterrows():
                ax.plot(axis.position(row["alpha"]), row[column], "o", color=_colour(palette, row["method"]), ms=4.5,
                        mec="white", mew=0.5)  # fmt: skip
            axis.apply(ax, narrow=True)
            ax.set_ylabel(label)
            if column == "T":
                ax.set_yscale("log")
                _plain_log_axis(ax.yaxis)
            else:
                ax.set_ylim(0, 1.02)
            sns.despine(ax=ax)
        return save_figure(fig, out_dir, "tuned_vs_alpha")


def optuna_landscape_figure(trials: pd.DataFrame, out_dir: Path) -> list[Path] | None:
    """Validation objective of every completed trial over (alpha, T), coloured by value.

    Trials of one method share an alpha; they are spread horizontally by a fixed small jitter (log scale)
    so they do not hide each other. Each method's best trial has a black edge.
    """
    complete = trials[
        (trials["state"] == "COMPLETE") & trials["alpha"].notna() & trials["params_T"].notna() & trials["value"].notna()
    ]
    if complete.empty:
        logger.info("no completed trials with alpha and T: figure optuna_landscape skipped")
        return None
    axis = _AlphaAxis(complete["alpha"].unique().tolist())
    rng = np.random.default_rng(0)
    x = np.array([axis.position(a) for a in complete["alpha"]]) * 10 ** rng.uniform(-0.07, 0.07, len(complete))
    label, scale = objective_axis(complete["objective"].iloc[0] if "objective" in complete else "val_acc")
    values = scale * complete["value"].to_numpy(dtype=float)
    is_best = complete["best"].to_numpy(dtype=bool)
    with figure_style():
        fig, ax = plt.subplots(figsize=(FIG_WIDTH, 2.3), constrained_layout=True)
        points = ax.scatter(x, complete["params_T"], c=values, cmap="viridis", s=14, lw=0, alpha=0.9)
        ax.scatter(x[is_best], complete.loc[is_best, "params_T"], c=values[is_best], cmap="viridis", s=22,
                   edgecolors="black", lw=0.8, vmin=values.min(), vmax=values.max())  # fmt: skip
        axis.apply(ax, narrow=True)
        ax.set_yscale("log")
        _plain_log_axis(ax.yaxis)
        ax.set_ylabel("temperature $T$")
        colorbar = fig.colorbar(points, ax=ax, pad=0.02)
        colorbar.set_label(label)
        colorbar.ax.tick_params(labelsize=6)
        best_handle = Line2D([], [], marker="o", ls="none", mfc="white", mec="black", mew=0.8, label="best trial")
        ax.legend(handles=[best_handle], loc="upper right", frameon=False)
        sns.despine(ax=ax)
        return save_figure(fig, out_dir, "optuna_landscape")


def learning_curves_figure(
    histories: pd.DataFrame, out_dir: Path, catalog: MethodCatalog, methods: Sequence[str]
) -> list[Path] | None:
    """Validation accuracy per epoch of the final runs: mean over seeds per method with a 95% t-CI band."""
    if histories.empty or "val_acc" not in histories.columns:
        logger.info("no learning-curve histories: figure learning_curves skipped")
        return None
    with figure_style():
        legend_rows = -(-len(methods) // 2)  # the legend below the axes, two columns: room for its rows
        fig, ax = plt.subplots(figsize=(FIG_WIDTH, 1.9 + 0.22 * legend_rows), constrained_layout=True)
        palette = catalog.colours
        styles = method_line_styles(palette)
        for method in methods:
            part = histories[histories["method"] == method]
            if part.empty:
                continue
            curve = pd.DataFrame(
                [{"epoch": epoch, **mean_ci(group["val_acc"].to_numpy(dtype=float))}
                 for epoch, group in part.groupby("epoch")]
            )  # fmt: skip
            colour = _colour(palette, method)
            ax.plot(curve["epoch"], 100 * curve["mean"], color=colour, ls=styles[method],
                    label=catalog.label(method, "mpl"))
            band = curve["ci_low"].notna()
            ax.fill_between(curve.loc[band, "epoch"], 100 * curve.loc[band, "ci_low"],
                            100 * curve.loc[band, "ci_high"], color=colour, alpha=0.15, lw=0)  # fmt: skip
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(mticker.MaxNLocator(integer=True))
        ax.set_ylabel("validation accuracy (%)")
        fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncol=2, frameon=False)
        sns.despine(ax=ax)
        return save_figure(fig, out_dir, "learning_curves")


# ---------------------------------------------------------------------------------------- the report's records


@figure("temperature_scaling", section="theory", caption="Temperature scaling (thesis Figure 1.1): logits 5.4, 0.2, "
        "−1.3 for horse, zebra, car and their softmax at T = 1 (horse > 0.99) and T = 4.")
def _temperature_scaling(report: ReportContext) -> list[Path]:
    return temperature_scaling_figure(report.figures)


@figure("divergence_vs_alpha", section="theory", caption="D_α(P‖Q) against α for P = softmax(5.4, 0.2, −1.3) and "
        "Q = softmax(2, −1, 0.5): non-decreasing from D_0 (left marker) to D_∞ (right marker, dashed); KL at "
        "α = 1. Coloured markers: the orders of the benchmarked methods.")
def _divergence_vs_alpha(report: ReportContext) -> list[Path]:
    return divergence_vs_alpha_figure(report.figures, report.catalog)


@figure("gradient_vs_temperature", section="theory", caption="Mean |∂(s D_α)/∂z| against T for random zero-mean "
        "logits (10 classes), by autograd through the project's loss. Left, thesis scaling s = T²/α: every α "
        "tends to the high-temperature limit (1/n)|z − v| (dashed). Right, s = 1: the gradient falls as α/T² "
        "(dashed: α|z − v|/(nT²)). At usual temperatures (shaded, T = 3–5) a large α is under-weighted: D_α "
        "stays bounded by D_∞ while s falls as 1/α (the T²/α scaling holds only for T ≫ α|v|, |(1 − α)z|).")
def _gradient_vs_temperature(report: ReportContext) -> list[Path]:
    return gradient_vs_temperature_figure(report.figures, report.catalog)


@figure("accuracy_vs_alpha", section="results", needs=("summary",), caption="Test accuracy against the Rényi order "
        "α (mean and {level}% interval over clusters or seeds, and test images; α = 0 is the reverse-KL limit, "
        "α = 1 is KL). Dashed: {reference}, dotted: the student alone, with their interval bands. Methods without a "
        "Rényi order are in the forest plot.")
def _accuracy_vs_alpha(report: ReportContext) -> list[Path] | None:
    return accuracy_vs_alpha_figure(report.summary, report.figures, report.catalog)


@figure("tuned_vs_alpha", section="tuning", needs=("tuned",), caption="Temperature T and soft-term weight β "
        "selected by Optuna, against α (one point per study).")
def _tuned_vs_alpha(report: ReportContext) -> list[Path] | None:
    return tuned_vs_alpha_figure(report.tuned, report.figures, report.palette)


@figure("optuna_landscape", section="tuning", needs=("trials",), caption="Validation objective of every completed "
        "Optuna trial over (α, T); black edge: the trial each study chose (trials of one α are spread horizontally).")
def _optuna_landscape(report: ReportContext) -> list[Path] | None:
    return optuna_landscape_figure(report.trials, report.figures)


@figure("learning_curves", section="results", needs=("histories",), caption="Validation accuracy per epoch of the "
        "final runs, mean over runs with a 95% t-CI band.")
def _learning_curves(report: ReportContext) -> list[Path] | None:
    return learning_curves_figure(report.histories, report.figures, report.catalog, report.methods)
