"""Statistics over final runs: per-method summaries and the paired tests behind every comparison.

Per method and metric, with ``x_1..x_n`` the values of its final runs (every tuning repeat and seed):

- mean ``m = (1/n) sum x_i``, standard deviation ``s = sqrt(sum (x_i - m)^2 / (n - 1))`` (ddof = 1),
- 95% confidence interval ``m -+ t_{0.975, n-1} * s / sqrt(n)`` (Student's t distribution; seeds only).

Paired tests of a method against a reference over the paired runs, ``d_i = x_i - r_i``, i = 1..n:

- two-sided paired t-test (``scipy.stats.ttest_rel``): ``t = mean(d) / (sd(d) / sqrt(n))``, n - 1 degrees of freedom,
- TOST equivalence test with margin ``D`` (``statsmodels.stats.weightstats.ttost_paired``): the larger p-value
  of the one-sided t-tests of ``mean(d) <= -D`` and ``mean(d) >= D``,
- Holm's step-down adjustment (``statsmodels.stats.multitest.multipletests(method="holm")``): with sorted
  p-values ``p_(1) <= ... <= p_(m)``, ``p~_(i) = min(1, max_{j<=i} (m - j + 1) p_(j))``,
- minimum detectable difference: the smallest ``|mean(d)|`` that a two-sided paired t-test at level ``a``
  detects with probability ``power``, ``d_z * sd(d)``, with ``d_z`` solved from the noncentral t distribution
  (``statsmodels.stats.power.TTestPower``).

Degenerate cases (fewer than two pairs, differences that do not vary) give NaN, never an exception.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.power import TTestPower
from statsmodels.stats.weightstats import ttost_paired

from renyi_kd.metrics import METRICS
from renyi_kd.report.methods import MethodCatalog

__all__ = [
    "holm_adjust",
    "mean_ci",
    "minimum_detectable_difference",
    "paired_t_p",
    "summarize",
    "tost_p",
]

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


def summarize(
    runs: pd.DataFrame,
    metrics: Sequence[str] | None = None,
    *,
    methods: Sequence[str] | None = None,
    level: float = 0.95,
    catalog: MethodCatalog | None = None,
) -> pd.DataFrame:
    """Long table, one row per (method, metric): n, mean, std, sem, ci_low, ci_high (see :func:`mean_ci`).

    ``metrics``: by default every metric of :data:`renyi_kd.metrics.METRICS` that ``runs`` has; ``methods``: by
    default those of ``runs`` in the report order of ``catalog`` (default: the catalog of ``runs``)."""
    wanted = [m for m in (metrics if metrics is not None else METRICS) if m in runs.columns]
    available = set(runs["method"])
    if methods is None:
        chosen = (catalog or MethodCatalog.from_runs(runs)).sort(available)
    else:
        chosen = [m for m in methods if m in available]
    rows = []
    for method in chosen:
        method_runs = runs[runs["method"] == method]
        for metric in wanted:
            values = pd.to_numeric(method_runs[metric], errors="coerce").to_numpy(dtype=float)
            rows.append({"method": method, "metric": metric, **mean_ci(values, level)})
    return pd.DataFrame(rows, columns=["method", "metric", "n", "mean", "std", "sem", "ci_low", "ci_high"])


def _degenerate(diffs: np.ndarray) -> bool:
    """Fewer than two pairs, or differences all equal up to rounding (zero spread: t is undefined)."""
    if diffs.size < 2:
        return True
    return float(np.ptp(diffs)) <= 1e-12 * max(1.0, float(np.abs(diffs).max()))


def paired_t_p(x: np.ndarray, y: np.ndarray) -> float:
    """Two-sided p-value of the paired t-test of ``x - y`` (aligned pairs); NaN when degenerate."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if _degenerate(x - y):
        return math.nan
    return float(stats.ttest_rel(x, y).pvalue)


def tost_p(x: np.ndarray, y: np.ndarray, margin: float) -> float:
    """TOST p-value for ``-margin < mean(x - y) < margin`` (small: equivalent); NaN when degenerate."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if _degenerate(x - y):
        return math.nan
    return float(ttost_paired(x, y, -margin, margin)[0])


def holm_adjust(pvalues: Sequence[float] | np.ndarray) -> np.ndarray:
    """Holm step-down adjusted p-values; NaN entries stay NaN and are not counted among the tests."""
    p = np.asarray(pvalues, dtype=float)
    adjusted = np.full_like(p, np.nan)
    valid = ~np.isnan(p)
    if valid.any():
        adjusted[valid] = multipletests(p[valid], method="holm")[1]
    return adjusted


def minimum_detectable_difference(sd: float, n: int, alpha: float, power: float = 0.8) -> float:
    """``d_z * sd``: the paired difference a two-sided t-test over ``n`` pairs at level ``alpha`` detects with
    probability ``power``; NaN when ``n < 2`` or ``sd`` is missing."""
    if n < 2 or not np.isfinite(sd):
        return math.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the root finder warns while it brackets very small samples
        effect = TTestPower().solve_power(effect_size=None, nobs=n, alpha=alpha, power=power, alternative="two-sided")
    return float(np.asarray(effect).item()) * sd
