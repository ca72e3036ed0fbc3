"""``renyi-kd compare``: the report's inference on any runs table. A hand-checked table with clusters, answers that
no seed changes, the refusals (exit 2, a message naming the column, no traceback), and no torch."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from test_cli import imported_after
from test_inference_contract import check_comparisons

from renyi_kd.cli import main
from renyi_kd.report.inference import COMPARISON_COLUMNS, EXTRA_COLUMNS

# Two teachers x two tuning repeats, three seeds each. js minus kl per cluster: +0.02, +0.03, +0.01, +0.02 (every
# seed the same within a cluster: the spread is between clusters); bad is 0.05 worse than kl everywhere but one seed.
CLUSTERS = [(0, 0), (0, 1), (1, 0), (1, 1)]
JS_SHIFT = [0.02, 0.03, 0.01, 0.02]


def _table() -> pd.DataFrame:
    rows = []
    for (teacher, repeat), shift in zip(CLUSTERS, JS_SHIFT):
        for seed in range(3):
            kl = 0.90 + 0.01 * seed + 0.02 * teacher - 0.01 * repeat
            bad = kl - 0.05 - 0.001 * (seed == 0) * teacher * (1 + repeat)
            for method, value in (("kl", kl), ("js", kl + shift), ("bad", bad)):
                rows.append({"method": method, "teacher": teacher, "repeat": repeat, "seed": seed, "test_acc": value})
    table = pd.DataFrame(rows)
    return table.assign(loss=1 - table["test_acc"])  # an unregistered metric, lower is better


def _run(tmp_path: Path, table: pd.DataFrame, *options: str) -> tuple[int, pd.DataFrame | None]:
    runs, out = tmp_path / "runs.csv", tmp_path / "out" / "comparisons.csv"
    tmp_path.mkdir(parents=True, exist_ok=True)
    table.to_csv(runs, index=False)
    code = main(["compare", str(runs), "--out", str(out), *options])
    return code, pd.read_csv(out) if code == 0 else None


def test_a_hand_checked_table(tmp_path: Path) -> None:
    code, table = _run(tmp_path, _table(), "--reference", "kl", "--metric", "test_acc", "--metric", "loss",
                       "--lower-is-better", "loss", "--margin", "test_acc=0.03")  # fmt: skip
    assert code == 0 and tuple(table.columns) == (*COMPARISON_COLUMNS, *EXTRA_COLUMNS)
    assert list(zip(table["metric"], table["method"], table["reference"])) == [
        ("test_acc", "bad", "kl"), ("test_acc", "js", "kl"), ("loss", "bad", "kl"), ("loss", "js", "kl")]
    assert list(table["family"]) == ["test_acc", "test_acc", "loss", "loss"]  # one Holm question per metric
    js = table[(table["method"] == "js") & (table["metric"] == "test_acc")].iloc[0]
    means = np.array(JS_SHIFT)  # the cluster means of js - kl
    t = means.mean() / (means.std(ddof=1) / 2)  # 0.02 / (0.008165 / 2) = 4.899
    assert (js["n"], js["clusters"], js["units"], js["df"], js["scope"]) == (12, 4, 4, 3, "clusters")
    assert js["diff"] == pytest.approx(0.02) and js["p"] == pytest.approx(2 * stats.t.sf(t, 3))
    half = stats.t.ppf(0.975, 3) * means.std(ddof=1) / 2
    assert (js["ci_low"], js["ci_high"]) == pytest.approx((0.02 - half, 0.02 + half))
    # TOST within 0.03: max(P(T > (0.02 + 0.03) / se), P(T < (0.02 - 0.03) / se)) on 3 df.
    se = means.std(ddof=1) / 2
    assert js["p_tost"] == pytest.approx(max(stats.t.sf(0.05 / se, 3), stats.t.cdf(-0.01 / se, 3)))
    verdicts = dict(zip(zip(table["metric"], table["method"]), table["verdict"]))
    assert verdicts == {("test_acc", "bad"): "worse", ("test_acc", "js"): "better", ("loss", "bad"): "worse",
                        ("loss", "js"): "better"}  # fmt: skip
    assert table.loc[table["metric"] == "loss", "margin"].isna().all()
    check_comparisons(tmp_path / "runs.csv", tmp_path / "out" / "comparisons.csv")  # the report's contract


def test_without_cluster_columns_the_seeds_are_the_units(tmp_path: Path) -> None:
    table = _table()
    one = table[(table["teacher"] == 1) & (table["repeat"] == 0)].drop(columns=["teacher", "repeat"])
    code, out = _run(tmp_path, one, "--reference", "kl", "--metric", "test_acc")
    bad = out[out["method"] == "bad"].iloc[0]
    x, y = (one.loc[one["method"] == m, "test_acc"].to_numpy() for m in ("bad", "kl"))
    assert code == 0
    assert (bad["clusters"], bad["units"], bad["scope"], bad["interval"]) == (1, 3, "one cluster", "seeds")
    assert bad["p"] == pytest.approx(stats.ttest_rel(x, y).pvalue)


def test_results_do_not_depend_on_the_seed(tmp_path: Path) -> None:
    options = ("--reference", "kl", "--metric", "test_acc", "--margin", "test_acc=0.03")
    first = _run(tmp_path / "a", _table(), *options, "--seed", "0")[1]
    second = _run(tmp_path / "b", _table(), *options, "--seed", "12345")[1]
    assert first.equals(second)


@pytest.mark.parametrize(
    ("change", "options", "message"),
    [
        (lambda t: t.drop(columns="method"), (), "column 'method' is missing"),
        (lambda t: t.drop(columns="seed"), (), "column 'seed' is missing"),
        (lambda t: t, ("--metric", "top5"), "column 'top5' is missing"),
        (lambda t: t.assign(test_acc=t["test_acc"].astype(object).where(t.index != 4, "abc")), (),
         "column 'test_acc' is not numeric: row 4 holds 'abc'"),
        (lambda t: t.drop(index=7), (), "column 'seed': the (teacher, repeat, seed) units of 'js' do not pair with "
         "those of 'kl': ('0', '0', '2') is a run of 'kl' only"),
        (lambda t: t.assign(seed=t["seed"].where(t.index != 5, 9)), (), "units of 'bad' do not pair"),
        (lambda t: pd.concat([t, t.iloc[[1]]]), (), "column 'seed': method 'js' has two rows"),
        (lambda t: t.assign(method=t["method"].replace("kl", "hinton")), (), "no runs of the reference 'kl'"),
        (lambda t: t, ("--margin", "loss=0.1"), "--margin loss: not a compared metric"),
        (lambda t: t, ("--margin", "test_acc=-1"), "the margin must be positive"),
        (lambda t: t, ("--lower-is-better", "test_acc"), "a registered metric whose higher values are better"),
    ],
)  # fmt: skip
def test_refusals_name_the_column(tmp_path: Path, capsys: pytest.CaptureFixture, change, options, message) -> None:
    code, _ = _run(tmp_path, change(_table()), "--reference", "kl", "--metric", "test_acc", *options)
    log = capsys.readouterr().err  # the command's log: one error line, no traceback
    assert code == 2 and message in log and "Traceback" not in log
    assert not (tmp_path / "out" / "comparisons.csv").exists()


def test_a_missing_file_is_exit_2(tmp_path: Path) -> None:
    assert main(["compare", str(tmp_path / "none.csv"), "--reference", "kl", "--metric", "x", "--out",
                 str(tmp_path / "o.csv")]) == 2  # fmt: skip


def test_compare_imports_no_torch(tmp_path: Path) -> None:
    runs = tmp_path / "runs.csv"
    _table().to_csv(runs, index=False)
    code = (f"from renyi_kd.cli import main\nassert main(['compare', {str(runs)!r}, '--reference', 'kl', '--metric', "
            f"'test_acc', '--out', {str(tmp_path / 'o.csv')!r}]) == 0")  # fmt: skip
    assert "torch" not in imported_after(code)


def test_help_says_the_seed_changes_nothing(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit):
        main(["compare", "--help"])
    assert "results do not depend on --seed" in " ".join(capsys.readouterr().out.split())
