"""Statistics over final runs: per-method summaries and the clustered estimate behind every comparison.

Per method and metric, with ``x_1..x_n`` the values of its final runs (every cluster and seed):

- mean ``m = (1/n) sum x_i``, standard deviation ``s = sqrt(sum (x_i - m)^2 / (n - 1))`` (ddof = 1),
- 95% confidence interval ``m -+ t_{0.975, n-1} * s / sqrt(n)`` (Student's t distribution; seeds only).

The clustered estimate (:func:`clustered_estimate`) of a mean over runs (one method's, or paired differences
``d = x - y``). A cluster is one teacher and one tuning draw; seeds are nested in clusters, and the test images are
crossed with every run (each run is measured on the same images):

- with G >= 2 clusters the unit of replication is the cluster: with ``D_c`` the mean of cluster c's values, the
  estimate is ``mean_c D_c``, ``se_units^2 = var(D_c) / G`` (ddof = 1) on ``G - 1`` degrees of freedom (a t-test on
  cluster means: exact for normal cluster means whatever the tuning and seed variances);
- with one cluster the unit is the seed: the mean of the n values, ``se_units^2 = var(d) / n`` on ``n - 1`` degrees
  of freedom (the paired t-test over seeds); the result then holds for this teacher and this tuning draw;
- the test sample (:func:`image_variance`), where per-image influences exist: ``se^2 = se_units^2 + v_img``, with
  Welch-Satterthwaite degrees of freedom ``(a + b)^2 / (a^2 / df_units + b^2 / (N - 1))``, ``a = se_units^2``,
  ``b = v_img``;
- p: two-sided t; interval ``estimate -+ t_{1 - a/2, df} se``; TOST for ``|mean| < D``: the larger p of the
  one-sided t-tests of ``mean <= -D`` and ``mean >= D``.

Nothing is resampled, so no result has Monte Carlo error or depends on a seed. Holm's step-down adjustment (as
``statsmodels.stats.multitest.multipletests(method="holm")``, without its overhead, which simulations feel): with
sorted p-values ``p_(1) <= ... <= p_(m)``, ``p~_(i) = min(1, max_{j<=i} (m - j + 1) p_(j))``. Minimum detectable
difference: the smallest mean that a two-sided t-test on ``n`` units at level ``a`` detects with probability
``power``, ``d_z * sd``, with ``d_z`` solved from the noncentral t distribution
(``statsmodels.stats.power.TTestPower``).

Degenerate cases (fewer than two units, unit values that do not vary) give NaN, never an exception.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.power import TTestPower

from renyi_kd.metrics import METRICS

if TYPE_CHECKING:
    from renyi_kd.report.methods import MethodCatalog

__all__ = [
    "Estimate",
    "clustered_estimate",
    "holm_adjust",
    "image_variance",
    "mean_ci",
    "minimum_detectable_difference",
    "summarize",
]


@dataclass(frozen=True)
class Estimate:
    """A mean over runs with its standard error (module docstring).

    ``units``: the units of replication (clusters, or seeds with one cluster); ``sd``: their standard deviation;
    ``images``: whether ``se`` carries the test sample's variance. ``se`` and ``df`` are NaN when degenerate.
    """

    value: float
    se: float
    df: float
    units: int
    clusters: int
    sd: float
    images: bool

    def p(self) -> float:
        """Two-sided p-value of ``mean = 0``."""
        return float(2 * stats.t.sf(abs(self.value) / self.se, self.df)) if self.se > 0 else math.nan

    def p_tost(self, margin: float) -> float:
        """TOST p-value for ``-margin < mean < margin`` (small: equivalent)."""
        if not self.se > 0:
            return math.nan
        lower = stats.t.sf((self.value + margin) / self.se, self.df)
        upper = stats.t.cdf((self.value - margin) / self.se, self.df)
        return float(max(lower, upper))

    def interval(self, level: float) -> tuple[float, float]:
        """The two-sided t interval at ``level``."""
        if not self.se > 0:
            return math.nan, math.nan
        half = float(stats.t.ppf(0.5 + level / 2, self.df)) * self.se
        return self.value - half, self.value + half


def image_variance(influences: np.ndarray, weights: np.ndarray) -> float:
    """The test sample's variance of ``sum_u weights[u] M_u``, from per-image influences ``[U, N]`` (row u: run
    u's, or a pair's difference of influences; :meth:`renyi_kd.report.image_metrics.ImageValues.influence`).

    The images are crossed with the runs: ``psi_{u,i} = B_i + E_{u,i}``, an image effect shared by every run and
    an image-by-run interaction. The weighted image means ``psibar_i = sum_u w_u psi_{u,i}`` have variance
    ``s_B^2 + sum_u w_u^2 s_E^2``; the interaction's share, ``sum_u w_u^2 s_E^2 / N``, is already in the units'
    variance (each run's value carries its own interaction noise), so it is estimated from the two-way residuals
    (``s_E^2 = sum e_{u,i}^2 / ((U - 1)(N - 1))``) and subtracted: ``v_img = max(0, var_i(psibar) - sum_u w_u^2
    s_E^2) / N``. Adding the image means' variance as it is would count that share twice.
    """
    psi = np.asarray(influences, dtype=float)
    w = np.asarray(weights, dtype=float)
    units, n = psi.shape
    spread = float(np.var(w @ psi, ddof=1))
    if units > 1:
        residuals = psi - psi.mean(axis=0) - psi.mean(axis=1, keepdims=True) + psi.mean()
        spread -= float((residuals**2).sum()) / ((units - 1) * (n - 1)) * float(w @ w)
    return max(spread, 0.0) / n


def _no_spread(values: np.ndarray) -> bool:
    """Unit values all equal up to rounding: the units' variance is undefined as a basis for a test."""
    return float(np.ptp(values)) <= 1e-12 * max(1.0, float(np.abs(values).max()))


def clustered_estimate(
    clusters: Sequence[Hashable], values: np.ndarray, influences: np.ndarray | None = None
) -> Estimate:
    """The mean of ``values`` (one per run) with the clusters ``clusters[u]`` as units of replication, or the
    runs when there is one cluster; ``influences`` ``[runs, N]`` add the test sample's variance (module docstring)."""
    values = np.asarray(values, dtype=float)
    codes, _ = pd.factorize(pd.Series(list(clusters), dtype=object))
    g = int(codes.max()) + 1 if len(codes) else 0
    if g >= 2:
        sizes = np.bincount(codes, minlength=g)
        units = np.bincount(codes, weights=values, minlength=g) / sizes
        weights = 1.0 / (g * sizes[codes])
    else:
        units, weights = values, np.full(len(values), 1.0 / max(len(values), 1))
    value = float(units.mean()) if len(units) else math.nan
    images = influences is not None
    if len(units) < 2 or _no_spread(units):
        sd = float(np.std(units, ddof=1)) if len(units) > 1 else math.nan
        return Estimate(value, math.nan, math.nan, len(units), g, sd, images)
    sd = float(np.std(units, ddof=1))
    a, df_units = sd**2 / len(units), len(units) - 1
    b = image_variance(influences, weights) if images else 0.0
    df = (a + b) ** 2 / (a**2 / df_units + (b**2 / (influences.shape[1] - 1) if b > 0 else 0.0))
    return Estimate(value, math.sqrt(a + b), float(df), len(units), g, sd, images)


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
    from renyi_kd.report.methods import MethodCatalog  # seaborn: loaded only where a summary is made

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


def holm_adjust(pvalues: Sequence[float] | np.ndarray) -> np.ndarray:
    """Holm step-down adjusted p-values; NaN entries stay NaN and are not counted among the tests."""
    p = np.asarray(pvalues, dtype=float)
    adjusted = np.full_like(p, np.nan)
    valid = ~np.isnan(p)
    order = np.argsort(p[valid], kind="stable")
    m = len(order)
    steps = np.maximum.accumulate((m - np.arange(m)) * p[valid][order])
    adjusted[np.flatnonzero(valid)[order]] = np.minimum(steps, 1.0)
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
