"""Tests of the report's inference: settings, declared families, per-image metrics, the paired bootstrap,
TOST, verdicts and power, against hand computations, exact enumeration and scipy's distributions."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from scipy import stats
from test_report import (
    MARGIN,
    N_IMAGES,
    SETTINGS,
    TARGETS,
    hand_holm,
    hand_paired_t,
    image_diffs,
    make_experiment,
    t_cdf_df4,
    teacher_logits,
)

from renyi_kd.config import ConfigError
from renyi_kd.metrics import evaluate
from renyi_kd.report.bootstrap import (
    SEEDS_AND_IMAGES,
    SEEDS_ONLY,
    Replicates,
    percentile_interval,
    resampled_mean,
    unit_weights,
)
from renyi_kd.report.image_inputs import load_image_values
from renyi_kd.report.image_metrics import ImageValues, image_values
from renyi_kd.report.inference import COMPARISON_COLUMNS, against, compare, verdict
from renyi_kd.report.inputs import load_runs
from renyi_kd.report.questions import declare_hypotheses
from renyi_kd.report.settings import Question, report_settings
from renyi_kd.report.stats import minimum_detectable_difference, tost_p

# ------------------------------------------------------------------------------------------ settings and questions


def test_settings_defaults_and_errors() -> None:
    settings = report_settings(None)
    assert [q.metric for q in settings.questions] == ["test_acc", "test_nll", "test_ece", "agreement", "fidelity_kl"]
    assert [q.name for q in settings.questions] == [q.metric for q in settings.questions]
    assert all(q.references == ("kl", "ce") and q.methods is None for q in settings.questions)
    named = report_settings({"comparisons": [{"family": "all", "references": ["kl"]}]}).questions
    assert [q.name for q in named] == [f"all-{q.metric}" for q in settings.questions]  # one per metric, prefixed
    assert settings.equivalence_reference == "kl" and settings.margin("test_acc") == 0.01
    assert settings.margin("test_nll") is None
    assert (settings.significance, settings.power, settings.resamples, settings.bootstrap_seed) == (0.05, 0.8, 2000, 0)
    with pytest.raises(ConfigError, match="significance"):
        report_settings({"significance": 0.7})
    with pytest.raises(ConfigError, match="report"):
        report_settings({"bogus": 1})
    with pytest.raises(ConfigError, match="declared twice"):
        report_settings({"comparisons": [{"metric": "test_acc"}, {"metric": "test_acc"}]})


def test_default_question_holds_every_pair_once() -> None:
    methods = ["ce", "kl", "renyi-a0.5", "js"]
    hypotheses, notes = declare_hypotheses(report_settings(None).questions[:1], methods)
    pairs = [(h.method, h.reference) for h in hypotheses]
    assert pairs == [("renyi-a0.5", "kl"), ("js", "kl"), ("kl", "ce"), ("renyi-a0.5", "ce"), ("js", "ce")]
    assert len({frozenset(p) for p in pairs}) == len(pairs) and not notes
    assert {h.question for h in hypotheses} == {"test_acc"}


def test_questions_with_listed_methods_missing_runs_and_overlap() -> None:
    spec = Question("renyi-vs-kl", "test_acc", ("kl",), ("renyi-a0.5", "renyi-a9"))
    hypotheses, notes = declare_hypotheses([spec], ["ce", "kl", "renyi-a0.5"])
    assert [(h.method, h.reference) for h in hypotheses] == [("renyi-a0.5", "kl")]
    assert notes == ["Question renyi-vs-kl: renyi-a9 has no runs; its comparisons are not tested."]
    hypotheses, notes = declare_hypotheses(report_settings(None).questions[:1], ["kl", "renyi-a0.5"])
    assert [(h.method, h.reference) for h in hypotheses] == [("renyi-a0.5", "kl")]
    assert "reference ce has no runs" in notes[0]
    other = Question("again", "test_acc", ("ce",), None)
    with pytest.raises(ConfigError, match="belongs to one question"):
        declare_hypotheses([report_settings(None).questions[0], other], ["ce", "kl"])
    nll = Question("nll", "test_nll", ("ce",), None)  # the same pair on another metric is another question
    assert len(declare_hypotheses([report_settings(None).questions[0], nll], ["ce", "kl"])[0]) == 2


# ------------------------------------------------------------------------------------------ per-image metrics


def test_image_values_reproduce_the_final_runs_metrics() -> None:
    generator = torch.Generator().manual_seed(0)
    logits = 2 * torch.randn(N_IMAGES, 4, generator=generator)
    teacher = teacher_logits()
    values = image_values(logits, TARGETS, teacher)
    expected = evaluate(logits, TARGETS, teacher)
    assert set(values) == set(expected)
    for metric, value in expected.items():
        assert values[metric].value() == pytest.approx(value, rel=1e-5, abs=1e-7), metric
    assert set(image_values(logits, TARGETS)) == {"test_acc", "test_nll", "test_ece"}  # no teacher, no fidelity
    # Doubling every weight changes nothing; weights on the correct images only give accuracy 1 and ECE 1 - conf.
    weights = np.vstack([np.full(N_IMAGES, 2.0), values["test_acc"].columns[:, 0]])
    assert values["test_acc"].under(weights) == pytest.approx([expected["test_acc"], 1.0])
    confidence = torch.softmax(logits, -1).max(-1).values.double().numpy()
    correct = values["test_acc"].columns[:, 0] == 1
    assert values["test_ece"].under(weights)[1] == pytest.approx(1 - confidence[correct].mean(), rel=1e-6)


# ------------------------------------------------------------------------------------------ bootstrap


def _exact_moments(d: np.ndarray) -> tuple[float, float]:
    """Mean and variance of the crossed bootstrap statistic by enumerating every equally likely draw:
    ordered draws of the seeds (units) and, shared by all of them, of the images."""
    units, images = d.shape
    values = [
        np.mean([d[u, list(draw)].mean() for u in seeds])
        for seeds in itertools.product(range(units), repeat=units)
        for draw in itertools.product(range(images), repeat=images)
    ]
    return float(np.mean(values)), float(np.var(values))


@pytest.mark.parametrize("d", [[[0.0, 0.0, 3.0], [0.0, 0.0, 3.0]], [[1.0, 0.0, 2.0], [-1.0, 0.5, 0.0]]])
def test_bootstrap_matches_exact_enumeration_of_the_crossed_design(d: list[list[float]]) -> None:
    d = np.array(d)
    runs = {("m", 0, s): {"x": ImageValues(d[s].reshape(-1, 1))} for s in range(2)}
    replicates = Replicates(runs, resamples=40_000, seed=3)
    values, kind = replicates.matrix([("m", 0, 0), ("m", 0, 1)], "x", fallback=[9.0, 9.0])
    assert kind == SEEDS_AND_IMAGES and values.shape == (40_000, 2)
    statistic = resampled_mean(values, [(0, 0), (0, 1)], 40_000, seed=3)
    mean, variance = _exact_moments(d)
    assert statistic.mean() == pytest.approx(mean, abs=4 * math.sqrt(variance / 40_000))
    assert statistic.var() == pytest.approx(variance, rel=0.05)
    if d[0].tolist() == d[1].tolist():
        # Both seeds share one image draw: the variance of the image mean, 2/3, not the 1/3 of independent draws.
        assert variance == pytest.approx(2 / 3) and statistic.var() > 0.6


def test_unit_weights_resample_repeats_then_seeds() -> None:
    units = [(0, 0), (0, 1), (1, 0), (1, 1), (1, 2)]
    weights = unit_weights(units, 20_000, seed=1)
    assert weights.sum(axis=1) == pytest.approx(np.ones(20_000))
    on_repeat0 = weights[:, :2].sum(axis=1)
    assert (on_repeat0 == 0).mean() == pytest.approx(0.25, abs=0.015)  # both repeat draws pick repeat 1
    assert (on_repeat0 == 1).mean() == pytest.approx(0.25, abs=0.015)
    assert np.array_equal(weights, unit_weights(units, 20_000, seed=1))
    assert not np.array_equal(weights, unit_weights(units, 20_000, seed=2))
    assert np.array_equal(unit_weights([(0, 0)], 5, seed=0), np.ones((5, 1)))


def test_percentile_interval_and_seeds_only_fallback() -> None:
    assert percentile_interval(np.arange(1001.0), 0.9) == pytest.approx((50.0, 950.0))
    replicates = Replicates({}, resamples=100, seed=0)
    values, kind = replicates.matrix([("m", 0, 0), ("m", 0, 1)], "test_acc", fallback=[0.5, 0.7])
    assert kind == SEEDS_ONLY and values.tolist() == [0.5, 0.7]
    statistic = resampled_mean(values, [(0, 0), (0, 1)], 100, seed=0)
    assert set(np.round(statistic, 12)) <= {0.5, 0.6, 0.7}


# ------------------------------------------------------------------------------------------ tests and verdicts


def hand_tost(diffs: list[float], margin: float) -> float:
    mean, se, _ = hand_paired_t(diffs)
    return max(1 - t_cdf_df4((mean + margin) / se), t_cdf_df4((mean - margin) / se))


def test_tost_matches_hand_computation() -> None:
    diffs = [0.02, -0.025, 0.015, -0.0175, 0.005]
    x = np.array([0.9, 0.9, 0.9, 0.9, 0.9]) + np.array(diffs)
    assert tost_p(x, np.full(5, 0.9), 0.03) == pytest.approx(hand_tost(diffs, 0.03), rel=1e-9)
    assert tost_p(x, np.full(5, 0.9), 0.03) < 0.05 < tost_p(x, np.full(5, 0.9), 0.015)
    assert math.isnan(tost_p(np.ones(3), np.zeros(3), 2.0))  # no spread: no test


@pytest.mark.parametrize(
    ("diff", "ci", "p", "p_tost", "margin", "higher", "expected"),
    [
        (0.02, (0.01, 0.03), 0.01, 0.9, 0.05, True, "better"),  # significant: better wins over equivalent
        (0.02, (0.01, 0.03), 0.01, 0.9, 0.05, False, "worse"),  # a higher NLL is worse
        (0.02, (-0.01, 0.05), 0.01, 0.9, 0.1, True, "inconclusive"),  # the interval does not exclude 0
        (0.02, (-0.01, 0.05), 0.01, 0.01, 0.1, True, "equivalent"),
        (0.0, (-0.01, 0.01), 0.9, 0.06, 0.05, True, "inconclusive"),  # TOST not significant after Holm
        (0.0, (-0.06, 0.01), 0.9, 0.01, 0.05, True, "inconclusive"),  # the interval leaves the margin
        (0.0, (-0.01, 0.01), math.nan, math.nan, math.nan, True, "inconclusive"),
        (-0.03, (-0.04, -0.02), 0.001, math.nan, math.nan, True, "worse"),
    ],
)
def test_verdict_rules(diff, ci, p, p_tost, margin, higher, expected) -> None:
    assert verdict(diff, ci, p, p_tost, margin, higher_is_better=higher, significance=0.05) == expected


def test_minimum_detectable_difference_is_the_noncentral_t_solution() -> None:
    # The design: 5 seeds, Holm over 9 comparisons needs d_z of about 3 for 80% power.
    assert minimum_detectable_difference(1.0, 5, 0.05 / 9) == pytest.approx(3.0697, abs=1e-3)
    n, alpha, sd = 10, 0.05 / 17, 0.004
    detectable = minimum_detectable_difference(sd, n, alpha)
    critical = stats.t.ppf(1 - alpha / 2, n - 1)
    noncentrality = detectable / sd * math.sqrt(n)
    power = stats.nct.sf(critical, n - 1, noncentrality) + stats.nct.cdf(-critical, n - 1, noncentrality)
    assert power == pytest.approx(0.8, abs=1e-6)
    assert math.isnan(minimum_detectable_difference(sd, 1, alpha))


# ------------------------------------------------------------------------------------------ on the synthetic experiment


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, Replicates, dict]:
    exp_dir = make_experiment(tmp_path_factory.mktemp("inference"), optional=False)
    runs = load_runs(exp_dir / "report" / "runs.csv")
    values, notes = load_image_values(exp_dir, runs)
    assert len(values) == len(runs) and not notes
    return runs, Replicates(values, 2000, 0), values


def _compare(runs: pd.DataFrame, replicates: Replicates) -> pd.DataFrame:
    settings = report_settings(SETTINGS)
    hypotheses, _ = declare_hypotheses(settings.questions[:1], ["ce", "kl", "renyi-a0", "renyi-a0.5", "renyi-a2", "js"])
    return compare(runs, hypotheses, settings, replicates)[0]


def test_p_holm_tost_and_verdicts_by_hand(synthetic: tuple[pd.DataFrame, Replicates, dict]) -> None:
    table = _compare(*synthetic[:2])
    assert tuple(table.columns[: len(COMPARISON_COLUMNS)]) == COMPARISON_COLUMNS and len(table) == 9
    hand_p, hand_tost_p = {}, {}
    for row in table.itertuples():
        diffs = [(a - b) / N_IMAGES for a, b in zip(image_diffs(row.method), image_diffs(row.reference))]
        mean, _, p = hand_paired_t(diffs)
        assert row.n == 5 and row.diff == pytest.approx(mean, abs=1e-6)
        assert row.p == pytest.approx(p, rel=1e-4, abs=1e-9)
        hand_p[row.Index] = p
        if "kl" in (row.method, row.reference):
            assert row.margin == MARGIN and row.p_tost == pytest.approx(hand_tost(diffs, MARGIN), rel=1e-4, abs=1e-9)
            hand_tost_p[row.Index] = hand_tost(diffs, MARGIN)
        else:
            assert math.isnan(row.margin) and math.isnan(row.p_tost)
    assert table["p_adjusted"].tolist() == pytest.approx(hand_holm(list(hand_p.values())), rel=1e-4)
    tost_adjusted = table.loc[list(hand_tost_p), "p_tost_adjusted"]
    assert tost_adjusted.tolist() == pytest.approx(hand_holm(list(hand_tost_p.values())), rel=1e-4)
    words = {(r.method, r.reference): r.verdict for r in table.itertuples()}
    assert words[("renyi-a0.5", "kl")] == words[("js", "kl")] == words[("kl", "ce")] == "better"
    assert words[("renyi-a2", "kl")] == "equivalent"
    # renyi-a0: the TOST alone rejects at 0.05 (p = 0.044), not after Holm over five equivalence tests.
    a0 = table[(table["method"] == "renyi-a0") & (table["reference"] == "kl")].iloc[0]
    assert a0.p_tost < 0.05 < a0.p_tost_adjusted and a0.verdict == "inconclusive"
    assert -MARGIN < a0.ci_low and a0.ci_high < MARGIN  # so the interval alone would not have decided it
    assert against(table, "ce", "kl", "test_acc")["verdict"] == "worse"


def test_intervals_are_seeded_and_carry_the_test_sample(synthetic: tuple[pd.DataFrame, Replicates, dict]) -> None:
    runs, replicates, values = synthetic
    table = _compare(runs, replicates)
    assert table.equals(_compare(runs, Replicates(values, 2000, 0)))
    reseeded = _compare(runs, Replicates(values, 2000, 7))
    assert reseeded["p"].equals(table["p"]) and not reseeded["ci_low"].equals(table["ci_low"])
    assert (reseeded["ci_low"] - table["ci_low"]).abs().max() < 0.005
    seeds_only = _compare(runs, Replicates({}, 2000, 0))
    assert set(seeds_only["interval"]) == {SEEDS_ONLY} and set(table["interval"]) == {SEEDS_AND_IMAGES}
    # Resampling the test images widens every interval beyond the seeds' alone.
    width = (table["ci_high"] - table["ci_low"]).to_numpy()
    assert (width > seeds_only["ci_high"].to_numpy() - seeds_only["ci_low"].to_numpy()).all()


def test_runs_pair_by_repeat_and_seed() -> None:
    rows = []
    for repeat in (0, 1):
        for seed in range(4):
            base = 0.9 + 0.01 * seed + 0.05 * repeat  # the repeat moves both methods: pairing must keep it
            js = base + 0.002 + 0.0005 * seed
            rows += [{"method": "kl", "repeat": repeat, "seed": seed, "test_acc": base},
                     {"method": "js", "repeat": repeat, "seed": seed, "test_acc": js}]  # fmt: skip
    runs = pd.DataFrame(rows)
    settings = report_settings({"comparisons": [{"metric": "test_acc", "references": ["kl"]}]})
    hypotheses, _ = declare_hypotheses(settings.questions, ["kl", "js"])
    table, _ = compare(runs, hypotheses, settings, Replicates({}, 2000, 0))
    row = table.iloc[0]
    assert row["n"] == 8 and row["diff"] == pytest.approx(0.002 + 0.0005 * 1.5)  # pairing by seed alone: n = 16
    assert row["verdict"] == "better" and row["interval"] == SEEDS_ONLY
    assert 0.002 <= row["ci_low"] < row["ci_high"] <= 0.0035  # the repeat's shift cancels within pairs


def test_predictions_that_do_not_match_runs_csv_are_left_out(tmp_path: Path) -> None:
    exp_dir = make_experiment(tmp_path, optional=False)
    runs = load_runs(exp_dir / "report" / "runs.csv")
    runs.loc[0, "test_acc"] += 1 / N_IMAGES  # one image more than its predictions say
    (exp_dir / "teacher" / "logits.safetensors").unlink()
    values, notes = load_image_values(exp_dir, runs)
    first = tuple(runs.loc[0, ["method", "repeat", "seed"]])
    assert first not in values and len(values) == len(runs) - 1
    assert any("do not reproduce runs.csv for ('ce', 0, 0) (test_acc)" in note for note in notes)
    assert any("No teacher logits" in note for note in notes)
    assert set(values[("kl", 0, 0)]) == {"test_acc", "test_nll", "test_ece"}
    settings = report_settings(SETTINGS)
    hypotheses, _ = declare_hypotheses(settings.questions, ["ce", "kl", "js"])
    table, _ = compare(runs, hypotheses, settings, Replicates(values, 200, 0))
    kinds = table.groupby("metric")["interval"].agg(set)
    assert kinds["agreement"] == kinds["fidelity_kl"] == {SEEDS_ONLY}  # no teacher logits
    assert kinds["test_nll"] == {SEEDS_ONLY, SEEDS_AND_IMAGES}  # ce's seed 0 resamples seeds only
    ce_free = table[(table["metric"] == "test_nll") & ~table[["method", "reference"]].isin(["ce"]).any(axis=1)]
    assert set(ce_free["interval"]) == {SEEDS_AND_IMAGES}
