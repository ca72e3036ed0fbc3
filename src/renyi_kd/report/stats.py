"""Statistics over final runs: per-method summaries and paired comparisons against reference methods.

Per method and metric, with ``x_1..x_n`` the values over seeds:

- mean ``m = (1/n) sum x_i``, standard deviation ``s = sqrt(sum (x_i - m)^2 / (n - 1))`` (ddof = 1),
- 95% confidence interval ``m -+ t_{0.975, n-1} * s / sqrt(n)`` (Student's t distribution).

Paired comparisons of a method against a reference on the seeds both have, ``d_i = x_i - r_i``:

- paired t-test (``scipy.stats.ttest_rel``): ``t = mean(d) / (sd(d) / sqrt(n))`` with n - 1 degrees of freedom,
- Wilcoxon signed-rank test (``scipy.stats.wilcoxon``, exact for small n without ties),
- Cohen's ``d_z = mean(d) / sd(d)``,
- mean difference with its t confidence interval.

Multiple comparisons: the family is every method compared with the same reference on the same metric;
p-values are Holm-adjusted within it (``statsmodels.stats.multitest.multipletests(method="holm")``).
Holm's step-down adjustment with sorted p-values ``p_(1) <= ... <= p_(m)`` is
``p~_(i) = min(1, max_{j<=i} (m - j + 1) p_(j))``.

Degenerate cases (fewer than two pairs, all differences equal) give NaN, never an exception.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests

from renyi_kd.report.methods import sort_methods

__all__ = [
    "COMPARISON_COLUMNS",
    "HIGHER_IS_BETTER",
    "METRICS",
    "compare_to_references",
    "holm_adjust",
    "mean_ci",
    "paired_comparisons",
    "paired_difference",
    "summarize",
]

logger = logging.getLogger(__name__)

METRICS = ("test_acc", "test_nll", "test_ece", "agreement", "fidelity_kl", "wall_time_s")
HIGHER_IS_BETTER = {
    "test_acc": True,
    "test_nll": False,
    "test_ece": False,
    "agreement": True,
    "fidelity_kl": False,
    "wall_time_s": False,
}


COMPARISON_COLUMNS = (
    "reference", "method", "metric", "n_pairs", "mean_method", "mean_reference", "mean_diff", "sd_diff",
    "ci_low", "ci_high", "cohens_dz", "t_stat", "p_ttest", "p_wilcoxon", "p_ttest_holm",
    "p_wilcoxon_holm", "n_comparisons", "significant",
)  # fmt: skip


def mean_ci(values: Sequence[float] | np.ndarray, level: float = 0.95) -> dict[str, float]:
    """n, mean, std (ddof = 1), sem and the t confidence interval of the non-missing values.

    One value gives a mean and NaN for the spread; none gives NaN everywhere.
    """
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = int(x.size)
    nan = float("nan")
    if n == 0:
        return {"n": 0, "mean": nan, "std": nan, "sem": nan, "ci_low": nan, "ci_high": nan}
    mean = float(x.mean())
    if n < 2:
        return {"n": n, "mean": mean, "std": nan, "sem": nan, "ci_low": nan, "ci_high": nan}
    std = float(x.std(ddof=1))
    sem = std / math.sqrt(n)
    half = float(stats.t.ppf(0.5 + level / 2, df=n - 1)) * sem
    return {"n": n, "mean": mean, "std": std, "sem": sem, "ci_low": mean - half, "ci_high": mean + half}


def _metrics(runs: pd.DataFrame, metrics: Sequence[str] | None) -> list[str]:
    wanted = list(metrics) if metrics is not None else list(METRICS)
    present = [m for m in wanted if m in runs.columns]
    absent = sorted(set(wanted) - set(present))
    if absent:
        logger.info("metrics not in runs table, skipped: %s", absent)
    return present


def _methods(runs: pd.DataFrame, methods: Sequence[str] | None) -> list[str]:
    available = set(runs["method"])
    if methods is None:
        return sort_methods(available)
    return [m for m in methods if m in available]


def summarize(
    runs: pd.DataFrame,
    metrics: Sequence[str] | None = None,
    *,
    methods: Sequence[str] | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Long table, one row per (method, metric): n, mean, std, sem, ci_low, ci_high (see :func:`mean_ci`)."""
    rows = []
    for method in _methods(runs, methods):
        method_runs = runs[runs["method"] == method]
        for metric in _metrics(runs, metrics):
            values = pd.to_numeric(method_runs[metric], errors="coerce").to_numpy(dtype=float)
            rows.append({"method": method, "metric": metric, **mean_ci(values, level)})
    return pd.DataFrame(rows, columns=["method", "metric", "n", "mean", "std", "sem", "ci_low", "ci_high"])


def _degenerate(diffs: np.ndarray) -> bool:
    """Fewer than two pairs, or differences all equal up to rounding (zero spread: t and d_z undefined)."""
    if diffs.size < 2:
        return True
    return float(np.ptp(diffs)) <= 1e-12 * max(1.0, float(np.abs(diffs).max()))


def paired_difference(x: np.ndarray, y: np.ndarray, level: float = 0.95) -> dict[str, float]:
    """Paired comparison of ``x`` against ``y`` (same length, pairs aligned), ``d = x - y``.

    Returns n_pairs, mean_diff, sd_diff, ci_low, ci_high (t interval of the mean difference), cohens_dz,
    t_stat, p_ttest (two-sided paired t-test) and p_wilcoxon (two-sided Wilcoxon signed-rank test).
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.shape != y.shape:
        raise ValueError(f"paired samples must have the same shape, got {x.shape} and {y.shape}")
    keep = ~(np.isnan(x) | np.isnan(y))
    x, y = x[keep], y[keep]
    diffs = x - y
    summary = mean_ci(diffs, level)
    nan = float("nan")
    result = {
        "n_pairs": int(diffs.size),
        "mean_diff": summary["mean"],
        "sd_diff": summary["std"],
        "ci_low": summary["ci_low"],
        "ci_high": summary["ci_high"],
        "cohens_dz": nan,
        "t_stat": nan,
        "p_ttest": nan,
        "p_wilcoxon": nan,
    }
    if diffs.size < 2:
        return result
    with warnings.catch_warnings():
        # scipy warns on near-constant data and small samples; those cases are handled explicitly here.
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", UserWarning)
        if not _degenerate(diffs):
            test = stats.ttest_rel(x, y)
            result["t_stat"] = float(test.statistic)
            result["p_ttest"] = float(test.pvalue)
            result["cohens_dz"] = summary["mean"] / summary["std"]
        if np.any(diffs != 0):
            try:
                result["p_wilcoxon"] = float(stats.wilcoxon(x, y).pvalue)
            except ValueError as error:  # e.g. too few non-zero differences for the chosen method
                logger.debug("wilcoxon failed: %s", error)
    return result


def holm_adjust(pvalues: Sequence[float] | np.ndarray) -> np.ndarray:
    """Holm step-down adjusted p-values; NaN entries stay NaN and are not counted in the family."""
    p = np.asarray(pvalues, dtype=float)
    adjusted = np.full_like(p, np.nan)
    valid = ~np.isnan(p)
    if valid.any():
        adjusted[valid] = multipletests(p[valid], method="holm")[1]
    return adjusted


def paired_comparisons(
    runs: pd.DataFrame,
    reference: str,
    metrics: Sequence[str] | None = None,
    *,
    methods: Sequence[str] | None = None,
    level: float = 0.95,
    significance: float = 0.05,
) -> pd.DataFrame:
    """Every method against ``reference`` on the seeds both share, Holm-adjusted per metric.

    One row per (method, metric) with the columns of :func:`paired_difference` plus reference, mean_method,
    mean_reference, p_ttest_holm, p_wilcoxon_holm, n_comparisons (family size) and significant
    (``p_ttest_holm < significance``). Empty when the reference has no runs.
    """
    columns = list(COMPARISON_COLUMNS)
    if reference not in set(runs["method"]):
        logger.info("reference method %r has no runs: no comparisons against it", reference)
        return pd.DataFrame(columns=columns)
    ref_runs = runs[runs["method"] == reference].set_index("seed")
    rows = []
    for method in _methods(runs, methods):
        if method == reference:
            continue
        method_runs = runs[runs["method"] == method].set_index("seed")
        seeds = method_runs.index.intersection(ref_runs.index)
        unpaired = method_runs.index.symmetric_difference(ref_runs.index)
        if len(unpaired):
            logger.warning("%s vs %s: seeds %s are not in both; compared on %s", method, reference,
                           sorted(unpaired.tolist()), sorted(seeds.tolist()))  # fmt: skip
        for metric in _metrics(runs, metrics):
            x = pd.to_numeric(method_runs.loc[seeds, metric], errors="coerce").to_numpy(dtype=float)
            y = pd.to_numeric(ref_runs.loc[seeds, metric], errors="coerce").to_numpy(dtype=float)
            rows.append(
                {
                    "reference": reference,
                    "method": method,
                    "metric": metric,
                    "mean_method": float(np.nanmean(x)) if np.any(~np.isnan(x)) else float("nan"),
                    "mean_reference": float(np.nanmean(y)) if np.any(~np.isnan(y)) else float("nan"),
                    **paired_difference(x, y, level),
                }
            )
    table = pd.DataFrame(rows)
    if table.empty:
        return pd.DataFrame(columns=columns)
    for metric, index in table.groupby("metric").groups.items():
        table.loc[index, "p_ttest_holm"] = holm_adjust(table.loc[index, "p_ttest"].to_numpy())
        table.loc[index, "p_wilcoxon_holm"] = holm_adjust(table.loc[index, "p_wilcoxon"].to_numpy())
        table.loc[index, "n_comparisons"] = int(table.loc[index, "p_ttest"].notna().sum())
    table["significant"] = table["p_ttest_holm"].lt(significance)
    return table[columns].reset_index(drop=True)


def compare_to_references(
    runs: pd.DataFrame,
    references: Sequence[str] = ("kl", "ce"),
    metrics: Sequence[str] | None = None,
    *,
    methods: Sequence[str] | None = None,
    level: float = 0.95,
    significance: float = 0.05,
) -> pd.DataFrame:
    """:func:`paired_comparisons` against each reference, stacked (each reference is its own Holm family)."""
    frames = [
        paired_comparisons(runs, ref, metrics, methods=methods, level=level, significance=significance)
        for ref in references
    ]
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame(columns=list(COMPARISON_COLUMNS))
    return pd.concat(frames, ignore_index=True)
