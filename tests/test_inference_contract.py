"""The report's machine-readable contract, ``tables/comparisons.csv``, checked against ``runs.csv`` with scipy
and statsmodels alone (nothing of renyi_kd.report): :func:`check_comparisons` works on any pair of files, e.g.
``from test_inference_contract import check_comparisons`` in the workflow test on the default run.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.weightstats import ttost_paired
from test_report import SETTINGS, make_experiment

from renyi_kd.report import build_report

CONTRACT = ("metric", "method", "reference", "family", "n", "diff", "ci_low", "ci_high", "p", "p_adjusted",
            "verdict", "margin")  # fmt: skip
HIGHER_IS_BETTER = {"test_acc", "agreement"}  # test_nll, test_ece and fidelity_kl: lower is better


def _pairs(runs: pd.DataFrame, method: str, reference: str, metric: str) -> np.ndarray:
    """``[n, 2]`` values of method and reference on the (repeat, seed) units both have."""
    sides = [runs.loc[runs["method"] == m, ["repeat", "seed", metric]].dropna() for m in (method, reference)]
    merged = sides[0].merge(sides[1], on=["repeat", "seed"], suffixes=("_x", "_y"))
    return merged[[f"{metric}_x", f"{metric}_y"]].to_numpy(dtype=float)


def _no_spread(d: np.ndarray) -> bool:
    """The contract leaves p NaN for fewer than two pairs or differences that do not vary."""
    return d.size < 2 or float(np.ptp(d)) <= 1e-12 * max(1.0, float(np.abs(d).max()))


def _holm(p: pd.Series) -> pd.Series:
    valid = p.dropna()
    adjusted = pd.Series(np.nan, index=p.index)
    if len(valid):
        adjusted[valid.index] = multipletests(valid.to_numpy(), method="holm")[1]
    return adjusted


def _close(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9)


def _verdict_problems(row: pd.Series, significance: float) -> list[str]:
    """The verdict follows from the row: a difference needs p_adjusted < level and an interval without 0;
    equivalence a margin, an interval inside it and (where reported) p_tost_adjusted < level."""
    low, high = row["ci_low"], row["ci_high"]
    differs = row["p_adjusted"] < significance and (low > 0 or high < 0)
    good = (row["diff"] > 0) == (row["metric"] in HIGHER_IS_BETTER)
    within = -row["margin"] < low and high < row["margin"] and row.get("p_tost_adjusted", 0.0) < significance
    expected = ("better" if good else "worse") if differs else "equivalent" if within else "inconclusive"
    return [] if row["verdict"] == expected else [f"verdict {row['verdict']!r}, the row implies {expected!r}"]


def check_comparisons(runs_csv: Path, comparisons_csv: Path, *, significance: float = 0.05) -> None:
    """Raise AssertionError listing every way ``comparisons_csv`` breaks the contract against ``runs_csv``:
    the columns, each (method, reference) pair at most once per family and one metric per family, ``n``,
    ``diff`` and the paired t-test ``p`` recomputed with scipy, ``p_adjusted`` as Holm within the family
    (statsmodels), the TOST p-values where reported, and verdicts consistent with the rule."""
    runs = pd.read_csv(runs_csv)
    if "repeat" not in runs.columns:
        runs["repeat"] = 0
    table = pd.read_csv(comparisons_csv)
    if tuple(table.columns[: len(CONTRACT)]) != CONTRACT:
        raise AssertionError(f"columns {list(table.columns)} do not start with {list(CONTRACT)}")
    problems = []
    for family, rows in table.groupby("family"):
        if rows["metric"].nunique() != 1:
            problems.append(f"family {family}: more than one metric {sorted(rows['metric'].unique())}")
        pairs = [frozenset(p) for p in zip(rows["method"], rows["reference"])]
        if len(set(pairs)) != len(pairs):
            problems.append(f"family {family}: a (method, reference) pair appears more than once")
        p, p_tost = {}, {}
        for index, row in rows.iterrows():
            values = _pairs(runs, row["method"], row["reference"], row["metric"])
            d = values[:, 0] - values[:, 1]
            where = f"{family}: {row['method']} - {row['reference']}"
            if row["n"] != len(d) or not _close(row["diff"], float(d.mean()) if len(d) else math.nan):
                problems.append(f"{where}: n/diff {row['n']}/{row['diff']} but runs.csv gives {len(d)}/{d.mean()}")
            p[index] = math.nan if _no_spread(d) else float(stats.ttest_rel(values[:, 0], values[:, 1]).pvalue)
            if not _close(row["p"], p[index]):
                problems.append(f"{where}: p = {row['p']}, the paired t-test gives {p[index]}")
            if "p_tost" in table.columns and not math.isnan(row["margin"]):
                margin = row["margin"]
                p_tost[index] = math.nan if _no_spread(d) else float(ttost_paired(*values.T, -margin, margin)[0])
                if not _close(row["p_tost"], p_tost[index]):
                    problems.append(f"{where}: p_tost = {row['p_tost']}, TOST gives {p_tost[index]}")
            problems += [f"{where}: {text}" for text in _verdict_problems(row, significance)]
        for name, raw in (("p_adjusted", p), ("p_tost_adjusted", p_tost)):
            holm = _holm(pd.Series(raw, dtype=float))
            for index, value in holm.items():
                if not _close(rows.loc[index, name], value):
                    problems.append(f"family {family}: {name} of row {index} is {rows.loc[index, name]}, Holm {value}")
    if problems:
        raise AssertionError("comparisons.csv breaks its contract:\n" + "\n".join(problems))


# ------------------------------------------------------------------------------------------ tests of the check


@pytest.fixture(scope="module")
def report_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    exp_dir = make_experiment(tmp_path_factory.mktemp("contract"), optional=False)
    build_report(exp_dir, settings=SETTINGS | {"bootstrap": {"resamples": 500}})
    return exp_dir / "report" / "runs.csv", exp_dir / "report" / "tables" / "comparisons.csv"


def test_the_report_keeps_its_contract(report_files: tuple[Path, Path]) -> None:
    check_comparisons(*report_files)
    table = pd.read_csv(report_files[1])
    assert len(table) == 5 * 9 and set(table["verdict"]) <= {"better", "worse", "equivalent", "inconclusive"}


def _broken(report_files: tuple[Path, Path], tmp_path: Path, change) -> Path:
    table = pd.read_csv(report_files[1])
    path = tmp_path / "comparisons.csv"
    change(table).to_csv(path, index=False)
    return path


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: pd.concat([t, t.iloc[[0]].rename(columns={"method": "reference", "reference": "method"})]),
         "appears more than once"),
        (lambda t: t.assign(p_adjusted=t["p"]), "Holm"),
        (lambda t: t.assign(p=t["p"] / 2), "the paired t-test gives"),
        (lambda t: t.assign(n=t["n"] + 1), "n/diff"),
        (lambda t: t.assign(verdict="equivalent"), "the row implies"),
        (lambda t: t[list(reversed(CONTRACT))], "do not start with"),
    ],
)  # fmt: skip
def test_the_check_finds_broken_contracts(report_files: tuple[Path, Path], tmp_path: Path, change, message) -> None:
    with pytest.raises(AssertionError, match=message):
        check_comparisons(report_files[0], _broken(report_files, tmp_path, change))


def test_the_check_on_hand_made_files(tmp_path: Path) -> None:
    runs = pd.DataFrame({"method": ["kl"] * 3 + ["js"] * 3, "seed": [0, 1, 2] * 2,
                         "test_acc": [0.90, 0.92, 0.91, 0.93, 0.94, 0.92]})  # fmt: skip
    runs.to_csv(tmp_path / "runs.csv", index=False)
    p = float(stats.ttest_rel([0.93, 0.94, 0.92], [0.90, 0.92, 0.91]).pvalue)
    row = {"metric": "test_acc", "method": "js", "reference": "kl", "family": "f", "n": 3, "diff": 0.02,
           "ci_low": 0.001, "ci_high": 0.04, "p": p, "p_adjusted": p, "verdict": "better" if p < 0.05 else
           "inconclusive", "margin": math.nan}  # fmt: skip
    pd.DataFrame([row]).to_csv(tmp_path / "comparisons.csv", index=False)
    check_comparisons(tmp_path / "runs.csv", tmp_path / "comparisons.csv")
    pd.DataFrame([row | {"diff": 0.03}]).to_csv(tmp_path / "comparisons.csv", index=False)
    with pytest.raises(AssertionError, match="runs.csv gives 3"):
        check_comparisons(tmp_path / "runs.csv", tmp_path / "comparisons.csv")
