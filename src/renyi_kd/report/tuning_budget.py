"""Expected best validation objective against the number of trials (Dodge et al. 2019, "Show Your Work").

For a study's n judged trials with values sorted best-last, ``v_(1) <= ... <= v_(n)`` (for an objective to
minimise, on ``-v``), the best of k trials drawn without replacement is ``v_(i)`` with probability
``P_i = C(i - 1, k - 1) / C(n, k)``, so ``E_k = sum_i P_i v_(i)`` and ``sd_k = sqrt(sum_i P_i v_(i)^2 - E_k^2)``.
It treats the n trials as an exchangeable pool: exact for random search, an approximation for a sequential
sampler (TPE), whose later trials depend on earlier ones.

A trial enters with the value the study saw: a COMPLETE trial its final objective, a PRUNED one its last
reported (intermediate) value, a FAILED one the worst value of its study (it used a trial and gave nothing
better; a pruned trial without a report counts as failed). Only trials that count towards the budget enter
(:func:`renyi_kd.report.inputs.load_trials`).
The studies of a method (one per cluster: teacher and tuning repeat) are independent: their curves mix with
equal weight, ``E_k = mean_r E_k,r`` and ``sd_k^2 = mean_r (sd_k,r^2 + E_k,r^2) - E_k^2`` (the best of k trials
of a randomly chosen study), for k up to the smallest study.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import gammaln

from renyi_kd.report.artefacts import table
from renyi_kd.report.context import ReportContext

__all__ = ["BUDGET_COLUMNS", "budget_curve", "expected_best", "ranking_changes", "trial_values", "tuning_budget"]

logger = logging.getLogger(__name__)

BUDGET_COLUMNS = ("method", "k", "expected_best", "std")


def _log_comb(n: np.ndarray, k: int) -> np.ndarray:
    """log C(n, k), -inf where n < k."""
    n = np.asarray(n, dtype=float)
    out = np.full(n.shape, -np.inf)
    ok = n >= k
    out[ok] = gammaln(n[ok] + 1) - gammaln(k + 1) - gammaln(n[ok] - k + 1)
    return out


def expected_best(values: Sequence[float], k: int, *, maximize: bool = True) -> tuple[float, float]:
    """Mean and standard deviation of the best of ``k`` of ``values`` drawn without replacement."""
    v = np.sort(np.asarray(values, dtype=float) * (1 if maximize else -1))
    n = len(v)
    if not 1 <= k <= n:
        raise ValueError(f"k must be in 1..{n}, got {k}")
    probs = np.exp(_log_comb(np.arange(n), k - 1) - _log_comb(np.array([n]), k))
    mean = float(probs @ v)
    variance = max(float(probs @ v**2) - mean**2, 0.0)  # rounding can make an exact zero slightly negative
    return mean * (1 if maximize else -1), math.sqrt(variance)


def budget_curve(values: Sequence[float], *, maximize: bool = True) -> pd.DataFrame:
    """Columns k, expected_best, std for k = 1..len(values)."""
    rows = [(k, *expected_best(values, k, maximize=maximize)) for k in range(1, len(values) + 1)]
    return pd.DataFrame(rows, columns=["k", "expected_best", "std"])


def _last_report(intermediate: object) -> float:
    if not isinstance(intermediate, str) or not intermediate.strip():
        return math.nan
    reports = json.loads(intermediate)
    return float(reports[max(reports, key=int)]) if reports else math.nan


def trial_values(judged: pd.DataFrame, *, maximize: bool = True) -> np.ndarray:
    """One value per judged trial of one study (module docstring): COMPLETE its final value, PRUNED its last
    report, FAIL the study's worst. ``judged``: the study's trials that count towards the budget."""
    values = pd.to_numeric(judged["value"], errors="coerce").to_numpy(dtype=float, copy=True)
    values[judged["state"].to_numpy() != "COMPLETE"] = math.nan
    if "intermediate" in judged.columns:
        pruned = judged["state"].to_numpy() == "PRUNED"
        values[pruned] = [_last_report(text) for text in judged.loc[pruned, "intermediate"]]
    seen = values[~np.isnan(values)]
    if seen.size == 0:
        return seen
    values[np.isnan(values)] = seen.min() if maximize else seen.max()
    return values


def tuning_budget(trials: pd.DataFrame) -> pd.DataFrame:
    """The curve of every method (columns :data:`BUDGET_COLUMNS`), in the order of ``trials``.

    ``trials``: the judged trials of every study (:func:`renyi_kd.report.inputs.load_trials`: columns method,
    teacher, repeat, state, value, intermediate, maximize); a study is one (teacher, repeat) of a method.
    """
    frames = []
    for method, part in trials.groupby("method", sort=False):
        maximize = bool(part["maximize"].iloc[0])
        values = [trial_values(study, maximize=maximize) for _, study in part.groupby(["teacher", "repeat"])]
        values = [v for v in values if len(v)]
        if not values:
            logger.info("%s: no judged trial with a value; no tuning-budget curve", method)
            continue
        k_max = min(len(v) for v in values)
        curves = [budget_curve(v, maximize=maximize).iloc[:k_max] for v in values]
        means = np.stack([c["expected_best"].to_numpy() for c in curves])
        second = np.stack([c["std"].to_numpy() ** 2 + c["expected_best"].to_numpy() ** 2 for c in curves])
        expected = means.mean(axis=0)
        std = np.sqrt(np.maximum(second.mean(axis=0) - expected**2, 0.0))
        frames.append(pd.DataFrame({"method": method, "k": np.arange(1, k_max + 1), "expected_best": expected,
                                    "std": std}))  # fmt: skip
    if not frames:
        return pd.DataFrame(columns=list(BUDGET_COLUMNS))
    return pd.concat(frames, ignore_index=True)[list(BUDGET_COLUMNS)]


def ranking_changes(budget: pd.DataFrame, *, maximize: bool = True) -> dict[str, object] | None:
    """How the ranking of methods by expected best changes over the common k = 1..K.

    None with fewer than two methods; else ``k_max`` (K), ``leaders`` (the best method at each k, the first
    listed on ties) and ``swaps``: ``(ahead, behind, k)`` for every pair of methods whose order reverses,
    ``ahead`` being the one in front first and ``k`` the first budget where it is behind.
    """
    table = budget.pivot(index="k", columns="method", values="expected_best").dropna()
    methods = [m for m in dict.fromkeys(budget["method"]) if m in table.columns]
    if len(methods) < 2 or table.empty:
        return None
    scores = (table[methods] * (1 if maximize else -1)).round(12)  # ties within rounding are ties
    swaps = []
    for i, a in enumerate(methods):
        for b in methods[i + 1 :]:
            sign = np.sign(scores[a] - scores[b])
            decided = sign[sign != 0]
            if (decided > 0).any() and (decided < 0).any():
                first = decided.iloc[0]
                ahead, behind = (a, b) if first > 0 else (b, a)
                swaps.append((ahead, behind, int(sign.index[sign == -first][0])))
    return {
        "k_max": int(table.index.max()),
        "leaders": {int(k): row.idxmax() for k, row in scores.iterrows()},
        "swaps": sorted(swaps, key=lambda swap: swap[2]),
    }


@table("tuning_budget", section="tuning", needs=("budget",), caption="Expected best validation objective after k "
       "trials per method (columns method, k, expected_best, std): the data of the figure tuning_budget.")
def _tuning_budget_table(report: ReportContext) -> list[Path]:
    report.tables.mkdir(parents=True, exist_ok=True)
    path = report.table_file("tuning_budget", "csv")
    report.budget.to_csv(path, index=False)
    return [path]
