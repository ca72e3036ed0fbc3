"""The comparisons table (``tables/comparisons.csv``): one row per declared hypothesis, with its verdict.

For a hypothesis ``method`` against ``reference`` on a metric, the paired units are the ``(repeat, seed)``
final runs both methods have (a run pairs with the other method's run of the same tuning repeat and seed),
and ``n`` counts them. ``diff`` is the mean of ``method - reference`` over them, in ``runs.csv`` units;
``p`` the two-sided paired t-test; ``p_adjusted`` Holm within the question (column ``family``);
``ci_low``/``ci_high`` the ``1 - significance`` percentile bootstrap interval over repeats, seeds and test images
(:mod:`renyi_kd.report.bootstrap`). Comparisons that involve the equivalence reference, on a metric with a
margin ``D``, also get a TOST p-value for ``|diff| < D``, Holm-adjusted over the question's equivalence tests.
Extra columns after the contract's: ``sd_diff`` (standard deviation of the paired differences), ``p_tost``,
``p_tost_adjusted`` and ``interval`` (``seeds+images``, or ``seeds`` where a run has no per-image predictions).

Verdict, with ``a`` the significance level and "good" the metric's better direction:

- ``better`` / ``worse``: ``p_adjusted < a`` and the interval excludes 0 (diff in the good / bad direction);
- ``equivalent``: otherwise, ``p_tost_adjusted < a`` and the interval lies inside ``(-D, D)``;
- ``inconclusive``: anything else: the data show neither a difference nor its absence.

A verdict needs both the seed-level test and the interval, so it holds up against the test sample's noise
as well as the seeds'. Differences and equivalences are adjusted separately within each declared question,
each with a family-wise error rate of at most ``a``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from renyi_kd.metrics import METRICS
from renyi_kd.report.bootstrap import SEEDS_ONLY, Replicates, percentile_interval
from renyi_kd.report.questions import Hypothesis
from renyi_kd.report.settings import ReportSettings
from renyi_kd.report.stats import holm_adjust, paired_t_p, tost_p

__all__ = [
    "COMPARISON_COLUMNS", "EXTRA_COLUMNS", "VERDICTS", "against", "compare", "method_intervals", "mirror", "verdict",
]  # fmt: skip

logger = logging.getLogger(__name__)

COMPARISON_COLUMNS = (
    "metric", "method", "reference", "family", "n", "diff", "ci_low", "ci_high", "p", "p_adjusted", "verdict", "margin",
)  # fmt: skip
EXTRA_COLUMNS = ("sd_diff", "p_tost", "p_tost_adjusted", "interval")
VERDICTS = ("better", "worse", "equivalent", "inconclusive")
_MIRROR = {"better": "worse", "worse": "better"}


def verdict(
    diff: float, ci: tuple[float, float], p_adjusted: float, p_tost_adjusted: float, margin: float,
    *, higher_is_better: bool, significance: float,
) -> str:  # fmt: skip
    """The verdict of one comparison (module docstring); NaN inputs never support a claim."""
    low, high = ci
    if p_adjusted < significance and (low > 0 or high < 0):
        return "better" if (diff > 0) == higher_is_better else "worse"
    if p_tost_adjusted < significance and -margin < low and high < margin:
        return "equivalent"
    return "inconclusive"


def mirror(word: str) -> str:
    """The verdict of ``reference`` against ``method`` from that of ``method`` against ``reference``."""
    return _MIRROR.get(word, word)


def against(comparisons: pd.DataFrame, method: str, reference: str, metric: str) -> dict | None:
    """The comparison of ``method`` with ``reference`` on ``metric`` as ``method - reference`` (diff, ci_low,
    ci_high, verdict, ...), also when it was tested the other way round (then mirrored); None if untested."""
    on_metric = comparisons[comparisons["metric"] == metric]
    for a, b, flip in ((method, reference, False), (reference, method, True)):
        rows = on_metric[(on_metric["method"] == a) & (on_metric["reference"] == b)]
        if rows.empty:
            continue
        row = rows.iloc[0].to_dict()
        if flip:
            row |= {"method": method, "reference": reference, "diff": -row["diff"], "ci_low": -row["ci_high"],
                    "ci_high": -row["ci_low"], "verdict": mirror(row["verdict"])}  # fmt: skip
        return row
    return None


def _paired(runs: pd.DataFrame, method: str, reference: str, metric: str) -> pd.DataFrame:
    """Columns repeat, seed, x (method), y (reference): the units where both have a value."""
    def side(name: str, column: str) -> pd.DataFrame:
        part = runs.loc[runs["method"] == name, ["repeat", "seed", metric]]
        return part.rename(columns={metric: column})

    pairs = side(method, "x").merge(side(reference, "y"), on=["repeat", "seed"])
    pairs[["x", "y"]] = pairs[["x", "y"]].apply(pd.to_numeric, errors="coerce")
    return pairs.dropna(subset=["x", "y"]).sort_values(["repeat", "seed"]).reset_index(drop=True)


def _interval(
    replicates: Replicates, values: np.ndarray, units: list[tuple[int, int]], settings: ReportSettings
) -> tuple[float, float]:
    return percentile_interval(replicates.resampled_mean(values, units), 1 - settings.significance)


def _row(runs: pd.DataFrame, h: Hypothesis, settings: ReportSettings, replicates: Replicates) -> dict | None:
    pairs = _paired(runs, h.method, h.reference, h.metric)
    if pairs.empty:
        return None
    x, y = pairs["x"].to_numpy(), pairs["y"].to_numpy()
    units = list(zip(pairs["repeat"].astype(int), pairs["seed"].astype(int)))
    margin = settings.margin(h.metric) if settings.equivalence_reference in (h.method, h.reference) else None
    x_values, kind = replicates.matrix([(h.method, r, s) for r, s in units], h.metric, x)
    y_values, y_kind = replicates.matrix([(h.reference, r, s) for r, s in units], h.metric, y)
    if kind != y_kind:  # images are resampled for both sides of a pair or for neither
        x_values, y_values, kind = x, y, SEEDS_ONLY
    low, high = _interval(replicates, x_values - y_values, units, settings)
    return {
        "metric": h.metric, "method": h.method, "reference": h.reference, "family": h.question, "n": len(pairs),
        "diff": float(np.mean(x - y)), "ci_low": low, "ci_high": high, "p": paired_t_p(x, y),
        "margin": math.nan if margin is None else margin,
        "sd_diff": float(np.std(x - y, ddof=1)) if len(x) > 1 else math.nan,
        "p_tost": math.nan if margin is None else tost_p(x, y, margin), "interval": kind,
    }  # fmt: skip


def compare(
    runs: pd.DataFrame, hypotheses: Sequence[Hypothesis], settings: ReportSettings, replicates: Replicates
) -> tuple[pd.DataFrame, list[str]]:
    """The comparisons table (columns :data:`COMPARISON_COLUMNS` then :data:`EXTRA_COLUMNS`) and notes on the
    hypotheses that could not be tested (no paired runs) or only poorly (fewer than two pairs)."""
    notes, rows = [], []
    for h in hypotheses:
        row = _row(runs, h, settings, replicates)
        if row is None:
            notes.append(f"{h.method} against {h.reference} ({h.question}): no paired runs; not tested.")
            continue
        if row["n"] < 2:
            notes.append(f"{h.method} against {h.reference} ({h.question}): one paired run; no test, inconclusive.")
        rows.append(row)
    table = pd.DataFrame(rows, columns=[*COMPARISON_COLUMNS, *EXTRA_COLUMNS])
    for _, index in table.groupby("family", sort=False).groups.items():
        table.loc[index, "p_adjusted"] = holm_adjust(table.loc[index, "p"].to_numpy(dtype=float))
        table.loc[index, "p_tost_adjusted"] = holm_adjust(table.loc[index, "p_tost"].to_numpy(dtype=float))
    table["verdict"] = [
        verdict(r.diff, (r.ci_low, r.ci_high), r.p_adjusted, r.p_tost_adjusted, r.margin,
                higher_is_better=METRICS[r.metric].higher_is_better, significance=settings.significance)
        for r in table.itertuples()
    ]  # fmt: skip
    for note in notes:
        logger.warning("%s", note)
    return table, notes


def method_intervals(
    runs: pd.DataFrame, methods: Sequence[str], metrics: Sequence[str], settings: ReportSettings, replicates: Replicates
) -> pd.DataFrame:
    """Per (method, metric) the bootstrap interval of the method's mean (columns method, metric, ci_low,
    ci_high, interval), resampled like the differences; the same level."""
    rows = []
    for method in methods:
        for metric in metrics:
            part = runs.loc[runs["method"] == method, ["repeat", "seed", metric]].dropna()
            if part.empty:
                continue
            units = list(zip(part["repeat"].astype(int), part["seed"].astype(int)))
            fallback = pd.to_numeric(part[metric]).to_numpy(dtype=float)
            values, kind = replicates.matrix([(method, r, s) for r, s in units], metric, fallback)
            low, high = _interval(replicates, values, units, settings)
            rows.append({"method": method, "metric": metric, "ci_low": low, "ci_high": high, "interval": kind})
    return pd.DataFrame(rows, columns=["method", "metric", "ci_low", "ci_high", "interval"])
