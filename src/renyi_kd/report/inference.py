"""The comparisons table (``tables/comparisons.csv``): one row per declared hypothesis, with its verdict.

A cluster is one teacher and one tuning draw: the runs table's ``(teacher, repeat)`` (a missing column is one value
for every run). For a hypothesis ``method`` against ``reference`` on a metric, runs pair on ``(teacher, repeat,
seed)``; ``n`` counts the pairs. The estimate is :func:`renyi_kd.report.stats.clustered_estimate` of the paired
differences ``method - reference`` (in ``runs.csv`` units):

- with G >= 2 clusters, ``diff`` is the mean over clusters of each cluster's mean paired difference, tested by a
  t-test on the G cluster means (``scope`` ``clusters``): the verdict is about teachers and tuning draws like these;
- with one cluster, ``diff`` is the mean paired difference over seeds, tested over seeds (``scope``
  ``one cluster``): the verdict holds for this teacher and this tuning draw only;
- where every paired run has per-image values (:mod:`renyi_kd.report.image_metrics`), the test sample's variance
  is added (:func:`renyi_kd.report.stats.image_variance`; column ``interval`` ends in ``+images``).

``p`` is the two-sided t-test of that one statistic, ``p_adjusted`` Holm within the question (column ``family``),
``ci_low``/``ci_high`` its ``1 - significance`` t interval. Comparisons that involve the equivalence reference, on a
metric with a margin ``D``, also get a TOST p-value for ``|diff| < D`` from the same statistic, Holm-adjusted over
the question's equivalence tests. Extra columns after the contract's (:data:`EXTRA_COLUMNS`): ``sd_diff`` (standard
deviation of the units' differences), ``p_tost``, ``p_tost_adjusted``, ``interval`` (``clusters``/``seeds``, with
``+images`` when the test sample's variance is in), ``clusters`` (G), ``units`` (clusters, or seeds with one
cluster), ``se``, ``df`` and ``scope``.

Verdict, with ``a`` the significance level and "good" the metric's better direction:

- ``better`` / ``worse``: ``p_adjusted < a`` (diff in the good / bad direction);
- ``equivalent``: otherwise, ``p_tost_adjusted < a``;
- ``inconclusive``: anything else: the data show neither a difference nor its absence.

A verdict is a function of the runs table (and the per-image values) only: nothing is resampled, so no seed can
change it and no interval has Monte Carlo error. Differences and equivalences are adjusted separately within each
declared question, each with a family-wise error rate of at most ``a``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from renyi_kd.metrics import METRICS
from renyi_kd.report.questions import Hypothesis
from renyi_kd.report.settings import ReportSettings
from renyi_kd.report.stats import Estimate, clustered_estimate, holm_adjust

if TYPE_CHECKING:  # image_metrics imports torch, which a runs table alone does not need
    from renyi_kd.report.image_metrics import ImageValues, RunKey

__all__ = [
    "CLUSTER", "COMPARISON_COLUMNS", "EXTRA_COLUMNS", "UNIT", "VERDICTS", "against", "compare", "method_intervals",
    "mirror", "run_keys", "unit_frame", "verdict",
]  # fmt: skip

logger = logging.getLogger(__name__)

COMPARISON_COLUMNS = (
    "metric", "method", "reference", "family", "n", "diff", "ci_low", "ci_high", "p", "p_adjusted", "verdict", "margin",
)  # fmt: skip
EXTRA_COLUMNS = ("sd_diff", "p_tost", "p_tost_adjusted", "interval", "clusters", "units", "se", "df", "scope")
VERDICTS = ("better", "worse", "equivalent", "inconclusive")
CLUSTER = ("teacher", "repeat")  # one teacher and one tuning draw
UNIT = (*CLUSTER, "seed")  # one final run of a method
SCOPES = {True: "clusters", False: "one cluster"}
_MIRROR = {"better": "worse", "worse": "better"}
ImageTable = Mapping["RunKey", Mapping[str, "ImageValues"]]


def verdict(diff: float, p_adjusted: float, p_tost_adjusted: float, *, higher_is_better: bool,
            significance: float) -> str:  # fmt: skip
    """The verdict of one comparison (module docstring); NaN inputs never support a claim."""
    if p_adjusted < significance:
        return "better" if (diff > 0) == higher_is_better else "worse"
    if p_tost_adjusted < significance:
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


def unit_frame(runs: pd.DataFrame) -> pd.DataFrame:
    """``method`` and the unit columns :data:`UNIT` as text (a missing cluster column: one value for all runs),
    so that keys compare alike whatever types the table was read with."""
    frame = pd.DataFrame({"method": runs["method"].astype(str)}, index=runs.index)
    for column in UNIT:
        frame[column] = runs[column].astype(str) if column in runs.columns else ""
    return frame


def run_keys(runs: pd.DataFrame) -> list[RunKey]:
    """Each row's ``(method, teacher, repeat, seed)``: the key of its per-image values."""
    return list(unit_frame(runs).itertuples(index=False, name=None))


def _metric_values(runs: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Unit columns, ``method`` and the metric as ``value`` (rows without a value dropped)."""
    frame = unit_frame(runs).assign(value=pd.to_numeric(runs[metric], errors="coerce"))
    return frame.dropna(subset=["value"])


def _paired(values: pd.DataFrame, method: str, reference: str) -> pd.DataFrame:
    """Columns :data:`UNIT`, x (method), y (reference): the units where both have a value."""
    def side(name: str, column: str) -> pd.DataFrame:
        return values.loc[values["method"] == name, [*UNIT, "value"]].rename(columns={"value": column})

    return side(method, "x").merge(side(reference, "y"), on=list(UNIT)).sort_values(list(UNIT), ignore_index=True)


def _influences(images: ImageTable, method: str, units: pd.DataFrame, metric: str) -> np.ndarray | None:
    """``[runs, N]`` per-image influences of ``method``'s runs on ``units``; None when a run has none."""
    found = [images.get((method, *unit), {}).get(metric) for unit in units[list(UNIT)].itertuples(index=False)]
    if not found or any(v is None for v in found):
        return None
    return np.stack([v.influence() for v in found])


def _estimate(units: pd.DataFrame, values: np.ndarray, influences: np.ndarray | None) -> Estimate:
    return clustered_estimate(list(zip(*(units[c] for c in CLUSTER))), values, influences)


def _covers(estimate: Estimate) -> dict:
    """What the statistic's variance covers: the columns interval, clusters, units, scope."""
    unit = "clusters" if estimate.clusters >= 2 else "seeds"
    return {"interval": unit + ("+images" if estimate.images else ""), "clusters": estimate.clusters,
            "units": estimate.units, "scope": SCOPES[estimate.clusters >= 2]}  # fmt: skip


def _row(values: pd.DataFrame, h: Hypothesis, settings: ReportSettings, images: ImageTable) -> dict | None:
    pairs = _paired(values, h.method, h.reference)
    if pairs.empty:
        return None
    x_psi, y_psi = (_influences(images, m, pairs, h.metric) for m in (h.method, h.reference))
    psi = None if x_psi is None or y_psi is None or x_psi.shape != y_psi.shape else x_psi - y_psi
    estimate = _estimate(pairs, (pairs["x"] - pairs["y"]).to_numpy(dtype=float), psi)
    low, high = estimate.interval(1 - settings.significance)
    equivalence = settings.is_equivalence_reference(h.method) or settings.is_equivalence_reference(h.reference)
    margin = settings.margin(h.metric) if equivalence else None
    return {
        "metric": h.metric, "method": h.method, "reference": h.reference, "family": h.question, "n": len(pairs),
        "diff": estimate.value, "ci_low": low, "ci_high": high, "p": estimate.p(),
        "margin": math.nan if margin is None else margin, "sd_diff": estimate.sd,
        "p_tost": math.nan if margin is None else estimate.p_tost(margin), **_covers(estimate),
        "se": estimate.se, "df": estimate.df,
    }  # fmt: skip


def _higher_is_better(metric: str, directions: Mapping[str, bool] | None) -> bool:
    return directions[metric] if directions is not None and metric in directions else METRICS[metric].higher_is_better


def compare(
    runs: pd.DataFrame, hypotheses: Sequence[Hypothesis], settings: ReportSettings, images: ImageTable | None = None,
    *, higher_is_better: Mapping[str, bool] | None = None,
) -> tuple[pd.DataFrame, list[str]]:  # fmt: skip
    """The comparisons table (columns :data:`COMPARISON_COLUMNS` then :data:`EXTRA_COLUMNS`) and notes on the
    hypotheses that could not be tested (no paired runs) or only poorly (fewer than two units).

    ``images``: per run key (:func:`run_keys`) the per-image values of its metrics (None: none).
    ``higher_is_better``: the direction of metrics outside :data:`renyi_kd.metrics.METRICS` (or overriding it)."""
    notes, rows = [], []
    values = {metric: _metric_values(runs, metric) for metric in dict.fromkeys(h.metric for h in hypotheses)}
    for h in hypotheses:
        row = _row(values[h.metric], h, settings, images or {})
        if row is None:
            notes.append(f"{h.method} against {h.reference} ({h.question}): no paired runs; not tested.")
            continue
        if row["units"] < 2:  # two clusters are two units: only a lone pair is one
            notes.append(f"{h.method} against {h.reference} ({h.question}): one paired run; no test, inconclusive.")
        rows.append(row)
    table = pd.DataFrame(rows, columns=[*COMPARISON_COLUMNS, *EXTRA_COLUMNS])
    for _, index in table.groupby("family", sort=False).groups.items():
        table.loc[index, "p_adjusted"] = holm_adjust(table.loc[index, "p"].to_numpy(dtype=float))
        table.loc[index, "p_tost_adjusted"] = holm_adjust(table.loc[index, "p_tost"].to_numpy(dtype=float))
    table["verdict"] = [
        verdict(r.diff, r.p_adjusted, r.p_tost_adjusted, higher_is_better=_higher_is_better(r.metric, higher_is_better),
                significance=settings.significance)
        for r in table.itertuples()
    ]  # fmt: skip
    for note in notes:
        logger.warning("%s", note)
    return table, notes


def method_intervals(
    runs: pd.DataFrame, methods: Sequence[str], metrics: Sequence[str], settings: ReportSettings,
    images: ImageTable | None = None,
) -> pd.DataFrame:  # fmt: skip
    """Per (method, metric) the ``1 - significance`` interval of the method's mean, estimated like the differences
    (clusters as units, the test sample's variance where every run has per-image values): columns method, metric,
    ci_low, ci_high, interval."""
    rows = []
    values = {metric: _metric_values(runs, metric) for metric in metrics}
    for method in methods:
        for metric in metrics:
            part = values[metric][values[metric]["method"] == method].sort_values(list(UNIT), ignore_index=True)
            if part.empty:
                continue
            influences = _influences(images or {}, method, part, metric)
            estimate = _estimate(part, part["value"].to_numpy(dtype=float), influences)
            low, high = estimate.interval(1 - settings.significance)
            rows.append({"method": method, "metric": metric, "ci_low": low, "ci_high": high,
                         "interval": _covers(estimate)["interval"]})  # fmt: skip
    return pd.DataFrame(rows, columns=["method", "metric", "ci_low", "ci_high", "interval"])
