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
from test_report import SETTINGS, make_experiment

from renyi_kd.report import build_report

CONTRACT = ("metric", "method", "reference", "family", "n", "diff", "ci_low", "ci_high", "p", "p_adjusted",
            "verdict", "margin")  # fmt: skip
HIGHER_IS_BETTER = {"test_acc", "agreement"}  # test_nll, test_ece and fidelity_kl: lower is better


def _units(runs: pd.DataFrame, method: str, reference: str, metric: str) -> tuple[int, np.ndarray]:
    """The pairs on (teacher, repeat, seed) and the values of the units of replication: the mean paired
    difference of each (teacher, repeat) cluster with two or more clusters, else each pair's difference."""
    keys = ["teacher", "repeat", "seed"]
    sides = [runs.loc[runs["method"] == m, [*keys, metric]].dropna() for m in (method, reference)]
    merged = sides[0].merge(sides[1], on=keys, suffixes=("_x", "_y"))
    merged["d"] = merged[f"{metric}_x"] - merged[f"{metric}_y"]
    means = merged.groupby(["teacher", "repeat"])["d"].mean()
    return len(merged), (means.to_numpy() if len(means) >= 2 else merged["d"].to_numpy())


def _no_spread(d: np.ndarray) -> bool:
    """The contract leaves p NaN for fewer than two units or units that do not vary."""
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
    """The verdict follows from the adjusted p-values alone: a difference needs p_adjusted < level, an
    equivalence (where tested) p_tost_adjusted < level."""
    good = (row["diff"] > 0) == (row["metric"] in HIGHER_IS_BETTER)
    differs = row["p_adjusted"] < significance
    within = row.get("p_tost_adjusted", math.nan) < significance
    expected = ("better" if good else "worse") if differs else "equivalent" if within else "inconclusive"
    return [] if row["verdict"] == expected else [f"verdict {row['verdict']!r}, the row implies {expected!r}"]


def _statistic_problems(row: pd.Series, units: np.ndarray, significance: float) -> list[str]:
    """p, interval and TOST from (diff, se, df); se at least the units' standard error (the test sample only
    adds), equal to it where the interval leaves the test sample out (then p is scipy's t-test of the units)."""
    if _no_spread(units):
        return [] if math.isnan(row["p"]) else [f"p = {row['p']} on units without spread"]
    problems = []
    units_se = float(stats.sem(units))
    with_images = str(row.get("interval", "")).endswith("+images")
    if not with_images and not _close(row["p"], float(stats.ttest_1samp(units, 0).pvalue)):
        problems.append(f"p = {row['p']}, the t-test of the {len(units)} units gives {stats.ttest_1samp(units, 0)}")
    if "se" not in row:
        return problems
    se, df = row["se"], row["df"]
    if se < units_se * (1 - 1e-9) or (not with_images and not _close(se, units_se)):
        problems.append(f"se = {se}, the units' standard error is {units_se}")
    if not _close(row["p"], float(2 * stats.t.sf(abs(row["diff"]) / se, df))):
        problems.append(f"p = {row['p']} is not the t-test of diff / se on {df} df")
    half = float(stats.t.ppf(1 - significance / 2, df)) * se
    if not (_close(row["ci_low"], row["diff"] - half) and _close(row["ci_high"], row["diff"] + half)):
        problems.append(f"interval [{row['ci_low']}, {row['ci_high']}] is not diff -+ {half}")
    if not math.isnan(row["margin"]):
        margin = row["margin"]
        tost = max(stats.t.sf((row["diff"] + margin) / se, df), stats.t.cdf((row["diff"] - margin) / se, df))
        if not _close(row["p_tost"], float(tost)):
            problems.append(f"p_tost = {row['p_tost']}, TOST gives {tost}")
    return problems


def check_comparisons(runs_csv: Path, comparisons_csv: Path, *, significance: float = 0.05) -> None:
    """Raise AssertionError listing every way ``comparisons_csv`` breaks the contract against ``runs_csv``:
    the columns, each (method, reference) pair at most once per family and one metric per family, ``n`` (pairs on
    teacher, repeat and seed), ``diff`` (mean of the clusters' mean differences, or of the pairs' with one
    cluster), ``p`` recomputed with scipy (the t-test of those units where the test sample is left out; else from
    ``se`` and ``df``), the interval and TOST from the same statistic, ``p_adjusted`` as Holm within the family
    (statsmodels), and verdicts consistent with the rule."""
    runs = pd.read_csv(runs_csv)
    for column in ("teacher", "repeat"):
        if column not in runs.columns:
            runs[column] = 0
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
            n, units = _units(runs, row["method"], row["reference"], row["metric"])
            where = f"{family}: {row['method']} - {row['reference']}"
            diff = float(units.mean()) if len(units) else math.nan
            if row["n"] != n or not _close(row["diff"], diff):
                problems.append(f"{where}: n/diff {row['n']}/{row['diff']} but runs.csv gives {n}/{diff}")
            problems += [f"{where}: {text}" for text in _statistic_problems(row, units, significance)]
            p[index] = row["p"]
            if not math.isnan(row["margin"]):
                p_tost[index] = row.get("p_tost", math.nan)
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
    build_report(exp_dir, settings=SETTINGS)
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
        (lambda t: t.assign(p=t["p"] / 2), "is not the t-test of diff / se"),
        (lambda t: t.assign(se=t["se"] / 2), "the units' standard error"),
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
