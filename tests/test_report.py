"""Tests of the thesis report: the synthetic experiment every report test builds on, statistics against hand
computations, theory-figure data, and a full build (tables, figures, report.md, LaTeX compilation).

The synthetic experiment saves per-image test predictions for every final run, so its comparisons carry the
test sample's variance; its runs.csv is computed from those predictions with renyi_kd.metrics.evaluate, as the
final runs do.
"""

from __future__ import annotations

import json
import logging
import math
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from renyi_kd.layout import Layout, study_id
from renyi_kd.metrics import evaluate
from renyi_kd.report import build_report, theory_figures
from renyi_kd.report.formatting import fmt_sci, latex_escape
from renyi_kd.report.methods import MethodCatalog, method_line_styles
from renyi_kd.report.stats import holm_adjust, mean_ci, summarize
from renyi_kd.report.theory import (
    divergence_vs_alpha_data,
    gradient_vs_temperature_data,
    temperature_scaling_data,
)
from renyi_kd.training.logits import save_logits
from renyi_kd.training.predictions import save_predictions

SEEDS = [0, 1, 2, 3, 4]
N_IMAGES, N_CLASSES = 400, 4  # one test image is 0.25 points of accuracy
KL_CORRECT = [360, 368, 376, 364, 372]  # KL's test accuracy 0.90, 0.92, 0.94, 0.91, 0.93
# Per seed, the test images a method gets right that KL gets wrong (gained) and the reverse (lost), so its
# accuracy minus KL's is (gained - lost) / 400. Chosen so that against KL with a 3-point margin
# renyi-a0.5 and js are better, renyi-a2 is equivalent, renyi-a0 is inconclusive and ce is worse.
FLIPS = {
    "ce": ([0, 0, 0, 0, 0], [20, 22, 18, 21, 19]),
    "kl": ([0, 0, 0, 0, 0], [0, 0, 0, 0, 0]),
    "renyi-a0": ([14, 2, 11, 2, 5], [2, 16, 2, 13, 2]),
    "renyi-a0.5": ([12, 13, 11, 12, 14], [0, 0, 0, 0, 0]),
    "renyi-a2": ([1, 0, 0, 1, 0], [0, 1, 0, 0, 1]),
    "js": ([2, 1, 3, 2, 2], [0, 0, 0, 0, 0]),
}
METHODS = list(FLIPS)
MARGIN = 0.03
SETTINGS = {"equivalence_margin": {"test_acc": MARGIN}}
T_DF4_975 = 2.7764451051977934  # t quantile, 4 degrees of freedom, 0.975 (tables)
TEST_INDICES = torch.arange(5000, 5000 + N_IMAGES)
TARGETS = torch.as_tensor(np.random.default_rng(123).integers(N_CLASSES, size=N_IMAGES))
SHORTHAND = MethodCatalog(reference="kl")  # what the method names say they are (config shorthand)


def image_diffs(method: str) -> list[int]:
    """Per seed, the method's correct test images minus KL's."""
    gained, lost = FLIPS[method]
    return [g - x for g, x in zip(gained, lost)]


# ------------------------------------------------------------------------------------------ fixtures


def _logits(correct: torch.Tensor, seed: int, bump: float = 2.5) -> torch.Tensor:
    """Logits whose argmax is the target where ``correct`` and the next class elsewhere; bounded noise keeps
    the argmax and varies the confidence (so NLL and ECE are not trivial)."""
    noise = torch.randn(N_IMAGES, N_CLASSES, generator=torch.Generator().manual_seed(seed)).clamp(-1, 1)
    label = torch.where(correct, TARGETS, (TARGETS + 1) % N_CLASSES)
    return noise + bump * F.one_hot(label, N_CLASSES)


def _correct(method: str, seed: int) -> torch.Tensor:
    order = np.random.default_rng(seed).permutation(N_IMAGES)
    right, wrong = list(order[: KL_CORRECT[seed]]), list(order[KL_CORRECT[seed] :])
    gained, lost = FLIPS[method][0][seed], FLIPS[method][1][seed]
    right = right[: len(right) - lost] + wrong[:gained]
    correct = torch.zeros(N_IMAGES, dtype=torch.bool)
    correct[right] = True
    return correct


def teacher_logits() -> torch.Tensor:
    correct = torch.ones(N_IMAGES, dtype=torch.bool)
    correct[:12] = False
    return _logits(correct, seed=999, bump=4.0)


def write_run(exp_dir: Path, method: str, repeat: int, seed: int, correct: torch.Tensor, teacher: torch.Tensor) -> dict:
    """Save a final run's predictions and return its runs.csv row (metrics as the final runs compute them)."""
    logits = _logits(correct, seed=1000 * seed + 10 * repeat + METHODS.index(method))
    save_predictions(Layout(exp_dir).final(study_id(method, 0, repeat), seed).predictions, TEST_INDICES, TARGETS,
                     logits, data_fingerprint="synthetic-data")  # fmt: skip
    alpha = SHORTHAND.alpha(method)
    return {
        "experiment": exp_dir.name, "method": method, "divergence": None if method == "ce" else "renyi",
        "alpha": np.nan if alpha is None else alpha, "beta": 0.0 if method == "ce" else 0.7,
        "T": np.nan if method == "ce" else 4.0, "scaling": "thesis", "lr": 3e-3, "weight_decay": 5e-4,
        "teacher": 0, "repeat": repeat, "seed": seed, **evaluate(logits, TARGETS, teacher), "epochs": 3,
        "wall_time_s": 10.0 + seed, "student_params": 11_000, "teacher_model": "resnet_teacher_50",
        "student": "resnet_student_18",
    }  # fmt: skip


def write_teacher(exp_dir: Path) -> torch.Tensor:
    teacher = teacher_logits()
    save_logits(Layout(exp_dir).teacher(0).logits, {"test": (TEST_INDICES, teacher)},
                data_fingerprint="synthetic-data", teacher_sha256="0" * 64)  # fmt: skip
    return teacher


def _trials(rng: np.random.Generator, method: str) -> pd.DataFrame:
    n = 13  # the last one finished past the budget (two workers racing): never shown
    states = ["COMPLETE"] * 9 + ["PRUNED"] * 2 + ["FAIL", "COMPLETE"]
    values = list(0.85 + 0.1 * rng.random(9)) + [np.nan, np.nan, np.nan, 0.999]
    trials = pd.DataFrame(
        {
            "number": range(n),
            "state": states,
            "value": values,
            "epochs_trained": [3] * 9 + [1, 1, 0, 3],
            "counts_towards_budget": [True] * 12 + [False],
            "params_lr": 10 ** rng.uniform(-4, -2, n),
            "params_weight_decay": 10 ** rng.uniform(-5, -3, n),
            "intermediate": [json.dumps({"1": v - 0.1, "3": v}) if s == "COMPLETE" else
                             json.dumps({"1": 0.5}) if s == "PRUNED" else "" for s, v in zip(states, values)],
        }
    )  # fmt: skip
    if method != "ce":
        trials["params_T"] = 10 ** rng.uniform(0, 1.3, n)
        trials["params_beta"] = rng.uniform(0, 1, n)
    return trials


def _write_study(exp_dir: Path, method: str, repeat: int, i: int, rng: np.random.Generator) -> None:
    files = Layout(exp_dir).study(study_id(method, 0, repeat))
    files.dir.mkdir(parents=True)
    params = {"lr": 3e-3, "weight_decay": 5e-4}
    if method != "ce":
        params |= {"T": 2.0 + i, "beta": 0.5 + 0.1 * i}
    best = {"method": method, "divergence": None if method == "ce" else "renyi", "alpha": SHORTHAND.alpha(method),
            "params": params, "value": 0.9 + 0.01 * i, "best_trial": 0, "n_trials": 12, "n_complete": 9,
            "n_pruned": 2, "n_failed": 1, "epochs_trained": 30, "epochs_budget": 36, "repeat": repeat,
            "objective": {"name": "val_acc", "direction": "maximize"}}  # fmt: skip
    files.best.write_text(json.dumps(best))
    _trials(rng, method).to_csv(files.trials, index=False)


def make_experiment(root: Path, *, optional: bool = True, predictions: bool = True) -> Path:
    """Synthetic ``results/{exp}/`` folder; ``optional=False`` writes only ``report/runs.csv`` (and, with
    ``predictions``, the final runs' predictions and the teacher's logits)."""
    exp_dir = root / "synthetic_exp"
    (exp_dir / "report").mkdir(parents=True)
    teacher = write_teacher(exp_dir)
    rows = [write_run(exp_dir, m, 0, s, _correct(m, s), teacher) for m in METHODS for s in SEEDS]
    pd.DataFrame(rows).to_csv(Layout(exp_dir).report.runs, index=False)
    if not predictions:
        shutil.rmtree(exp_dir / "final")
        Layout(exp_dir).teacher(0).logits.unlink()
    if not optional:
        return exp_dir
    teacher = {"model": "resnet_teacher_50", "params": 250_000, "test_acc": 0.97, "val_acc": 0.965,
               "epochs": 10, "wall_time_s": 100.0}  # fmt: skip
    Layout(exp_dir).teacher(0).metrics.write_text(json.dumps(teacher))
    rng = np.random.default_rng(1)
    for i, method in enumerate(METHODS):
        _write_study(exp_dir, method, 0, i, rng)
        for seed in SEEDS:
            epochs = np.arange(1, 6)
            final = (KL_CORRECT[seed] + image_diffs(method)[seed]) / N_IMAGES
            history = pd.DataFrame({"epoch": epochs, "train_loss": 2.0 / epochs,
                                    "val_acc": final * (1 - 0.5 / epochs) + 0.01 * rng.random(5),
                                    "val_loss": 1.5 / epochs})  # fmt: skip
            path = Layout(exp_dir).final(study_id(method, 0), seed).history
            path.parent.mkdir(parents=True, exist_ok=True)
            history.to_csv(path, index=False)
    return exp_dir


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    exp_dir = make_experiment(tmp_path_factory.mktemp("results"))
    return exp_dir, build_report(exp_dir, settings=SETTINGS)


def comparisons_of(exp_dir: Path) -> pd.DataFrame:
    return pd.read_csv(exp_dir / "report" / "tables" / "comparisons.csv")


# ------------------------------------------------------------------------------------------ statistics


def test_mean_std_ci_match_hand_computation() -> None:
    values = [0.90, 0.92, 0.94, 0.91, 0.93]
    mean = sum(values) / 5
    std = math.sqrt(sum((v - mean) ** 2 for v in values) / 4)
    half = T_DF4_975 * std / math.sqrt(5)
    result = mean_ci(values)
    assert result["n"] == 5
    assert result["mean"] == pytest.approx(0.92, abs=1e-12)
    assert result["std"] == pytest.approx(0.015811388300841896, rel=1e-9)  # sqrt(0.001 / 4)
    assert result["std"] == pytest.approx(std, rel=1e-12)
    assert result["ci_low"] == pytest.approx(mean - half, rel=1e-9)
    assert result["ci_high"] == pytest.approx(mean + half, rel=1e-9)
    assert math.isnan(mean_ci([0.5])["std"]) and mean_ci([])["n"] == 0


def test_summary_of_the_synthetic_runs(built: tuple[Path, Path]) -> None:
    runs = pd.read_csv(built[0] / "report" / "runs.csv")
    summary = summarize(runs, ["test_acc"], catalog=MethodCatalog.from_runs(runs, reference="kl")).set_index("method")
    assert summary.loc["kl", "mean"] == pytest.approx(0.92, abs=1e-6)
    assert summary.loc["kl", "std"] == pytest.approx(0.015811388300841896, rel=1e-5)
    assert list(summary.index) == SHORTHAND.sort(METHODS) == ["ce", "kl", "renyi-a0", "renyi-a0.5", "renyi-a2", "js"]


def t_cdf_df4(x: float) -> float:
    """Closed-form CDF of Student's t with 4 degrees of freedom."""
    u = 1 + x * x / 4
    return 0.5 + 3 / 8 * (x / math.sqrt(u)) * (1 - x * x / (12 * u))


def hand_paired_t(diffs: list[float]) -> tuple[float, float, float]:
    """Mean, standard error and two-sided p of the paired t-test over five differences."""
    n = len(diffs)
    assert n == 5
    mean = sum(diffs) / n
    se = math.sqrt(sum((d - mean) ** 2 for d in diffs) / (n - 1)) / math.sqrt(n)
    return mean, se, 2 * (1 - t_cdf_df4(abs(mean / se)))


def hand_holm(pvalues: list[float]) -> list[float]:
    order = sorted(range(len(pvalues)), key=lambda i: pvalues[i])
    m = len(pvalues)
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * pvalues[i]))
        adjusted[i] = running
    return adjusted


def test_holm_adjust_hand_values_and_nan() -> None:
    assert holm_adjust([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert holm_adjust([0.02, 0.5, 0.01, 0.2]) == pytest.approx(hand_holm([0.02, 0.5, 0.01, 0.2]))
    out = holm_adjust([0.02, np.nan, 0.5])
    assert out[0] == pytest.approx(0.04) and math.isnan(out[1]) and out[2] == pytest.approx(0.5)


# ------------------------------------------------------------------------------------------ methods and formatting


def palette(methods: list[str], reference: str = "kl", extra: tuple[str, ...] = ()) -> dict:
    return MethodCatalog(methods=methods, reference=reference).palette(extra)


def test_method_order_labels_and_palette() -> None:
    shuffled = ["renyi-a2", "renyi-a0.5", "kl", "renyi-a0", "ce", "renyi-ainf", "js"]
    assert SHORTHAND.sort(shuffled) == ["ce", "kl", "renyi-a0", "renyi-a0.5", "renyi-a2", "renyi-ainf", "js"]
    assert SHORTHAND.alpha("kl") == 1.0 and SHORTHAND.alpha("renyi-a0") == 0.0 and SHORTHAND.alpha("ce") is None
    assert SHORTHAND.alpha("renyi-ainf") == math.inf
    everything = palette(shuffled)
    assert len(set(everything.values())) == len(shuffled)  # one distinct colour per method
    smaller = palette(["kl", "ce", "renyi-a0.5"])
    assert smaller["ce"] == everything["ce"] and smaller["kl"] == everything["kl"]
    extended = palette(["ce", "kl", "renyi-a0.5"], extra=("renyi-a5",))
    assert {k: extended[k] for k in smaller} == smaller and extended["renyi-a5"] not in smaller.values()
    assert SHORTHAND.label("renyi-a0.5") == "Rényi α=0.5"
    assert SHORTHAND.label("renyi-a0.5", "latex") == r"R\'enyi $\alpha=0.5$"


def test_roles_not_names_choose_order_and_colours() -> None:
    """The equivalence reference is second (after the students alone) and blue, whatever its name."""
    by_role = MethodCatalog(methods=["renyi-a2", "kl", "ce"], reference="renyi-a2")
    assert by_role.sort(["kl", "renyi-a2", "ce"]) == ["ce", "renyi-a2", "kl"]
    assert by_role.palette()["renyi-a2"] == palette(["ce", "kl"])["kl"]
    assert by_role.alone(["kl", "renyi-a2", "ce"]) == "ce" and by_role.alone(["kl"]) is None


def test_methods_that_share_a_colour_differ_in_line_style() -> None:
    many = ["ce", "kl", *(f"renyi-a{a}" for a in (0, 0.25, 0.5, 2, 3, 4, 5, 6, 7, 8)), "js", "tv"]
    colours = palette(many)
    styles = method_line_styles(colours)
    looks = [(colours[m], styles[m]) for m in many]
    assert len(set(looks)) == len(many)  # colour and line style together tell every method apart
    assert len(set(colours.values())) < len(many)  # although colours repeat beyond 10 methods
    assert set(method_line_styles(palette(many[:10])).values()) == {"-"}  # up to 10: solid lines only


def test_latex_escape_and_numbers() -> None:
    assert latex_escape("a_b 5% & #1 ± x") == r"a\_b 5\% \& \#1 $\pm$ x"
    assert latex_escape("p < 0.05") == r"p $<$ 0.05"
    assert fmt_sci(0.003) == "3.0e-03"
    assert fmt_sci(0.003, latex=True) == r"$3.0\cdot 10^{-3}$"
    assert fmt_sci(9.96e-4) == "1.0e-03"


# ------------------------------------------------------------------------------------------ theory data


def test_temperature_scaling_data_matches_softmax() -> None:
    data = temperature_scaling_data()
    t1 = data[data["panel"] == "T = 1"].set_index("class")["value"]
    t4 = data[data["panel"] == "T = 4"].set_index("class")["value"]
    logits = {"horse": 5.4, "zebra": 0.2, "car": -1.3}
    for temperature, probs in ((1.0, t1), (4.0, t4)):
        norm = sum(math.exp(v / temperature) for v in logits.values())
        for name, value in logits.items():
            assert probs[name] == pytest.approx(math.exp(value / temperature) / norm, rel=1e-12)
    assert t1["horse"] > 0.99
    assert list(t4.sort_values(ascending=False).index) == ["horse", "zebra", "car"]  # order kept
    assert t4["horse"] < 0.7


def test_divergence_vs_alpha_is_monotone_with_known_limits() -> None:
    data = divergence_vs_alpha_data()
    assert data["alpha"].is_monotonic_increasing
    assert (np.diff(data["divergence"].to_numpy()) >= -1e-12).all()
    assert data["alpha"].min() == 0 and math.isinf(data["alpha"].max())
    assert ((data["alpha"] >= 0.01) & (data["alpha"] <= 100)).sum() >= 100
    p = np.exp(np.array([5.4, 0.2, -1.3])); p /= p.sum()  # fmt: skip
    q = np.exp(np.array([2.0, -1.0, 0.5])); q /= q.sum()  # fmt: skip
    value = dict(zip(data["alpha"], data["divergence"]))
    assert value[1.0] == pytest.approx(float(np.sum(p * np.log(p / q))), rel=1e-10)
    assert value[math.inf] == pytest.approx(float(np.max(np.log(p / q))), rel=1e-10)
    assert value[0.0] == pytest.approx(0.0, abs=1e-12)  # full support: -log sum q = 0


def test_gradient_vs_temperature_shows_scaling_and_its_limit() -> None:
    data = gradient_vs_temperature_data(temperatures=[1.0, 4.0, 50.0])
    thesis = data[data["scaling"] == "thesis"].set_index(["alpha", "T"])
    none = data[data["scaling"] == "none"].set_index(["alpha", "T"])
    for alpha in (0.5, 1.0, 2.0, 5.0):
        high = thesis.loc[(alpha, 50.0)]
        assert high["grad"] == pytest.approx(high["prediction"], rel=0.05)  # T^2/alpha works at high T
        assert none.loc[(alpha, 50.0), "grad"] == pytest.approx(none.loc[(alpha, 50.0), "prediction"], rel=0.05)
        assert none.loc[(alpha, 50.0), "grad"] < 0.02 * none.loc[(alpha, 4.0), "grad"]  # ~1/T^2 unscaled
    # ... and under-weights large alpha at a usual temperature (DESIGN.md errata).
    assert thesis.loc[(5.0, 4.0), "grad"] < 0.6 * thesis.loc[(5.0, 4.0), "prediction"]
    assert thesis.loc[(5.0, 4.0), "grad"] < thesis.loc[(1.0, 4.0), "grad"]


# ------------------------------------------------------------------------------------------ full build

TABLES = ("main", "hyperparameters", "models", "comparisons")
FIGURES = (
    "temperature_scaling", "divergence_vs_alpha", "gradient_vs_temperature", "accuracy_vs_alpha", "forest_vs_reference",
    "tuned_vs_alpha", "optuna_landscape", "tuning_budget", "learning_curves",
)  # fmt: skip


def test_build_report_writes_every_table_and_figure(built: tuple[Path, Path]) -> None:
    exp_dir, report = built
    assert report == exp_dir / "report" / "report.md"
    for name in TABLES:
        for ext in ("tex", "md", "csv"):
            path = exp_dir / "report" / "tables" / f"{name}.{ext}"
            assert path.is_file() and path.stat().st_size > 0, path
    assert (exp_dir / "report" / "tables" / "tuning_budget.csv").stat().st_size > 0
    for name in FIGURES:
        for ext in ("pdf", "png"):
            path = exp_dir / "report" / "figures" / f"{name}.{ext}"
            assert path.is_file() and path.stat().st_size > 0, path
        with Image.open(exp_dir / "report" / "figures" / f"{name}.png") as image:
            width_in = image.size[0] / 200
        assert 3.0 <= width_in <= 3.9, (name, width_in)
    assert not (exp_dir / "report" / "stats").exists()  # one contract file: tables/comparisons.csv


def test_only_the_trials_a_method_is_judged_on_are_reported(built: tuple[Path, Path]) -> None:
    from renyi_kd.report import load_trials

    trials = load_trials(built[0], METHODS)
    assert len(trials) == 12 * len(METHODS) and trials["number"].max() == 11
    assert trials.loc[trials["best"], "number"].tolist() == [0] * len(METHODS)  # best.json's, not the highest value
    assert set(trials["repeat"]) == {0} and trials["maximize"].all()


def test_report_md_states_verdicts_margin_and_power(built: tuple[Path, Path]) -> None:
    exp_dir, report = built
    text = report.read_text(encoding="utf-8")
    lines = text.splitlines()
    kl = next(line for line in lines if line.startswith("**Test accuracy against KL (Hinton)**"))
    assert "(equivalence margin ±3.00 pp)" in kl
    assert "better: Rényi α=0.5 +3.10 pp [" in kl and "js +0.50 pp [" in kl
    assert "worse: CE (student alone) −5.00 pp [" in kl
    assert "equivalent: Rényi α=2 +0.00 pp [" in kl and "inconclusive: Rényi α→0 (reverse KL) −0.05 pp [" in kl
    ce = next(line for line in lines if line.startswith("**Test accuracy against CE (student alone)**"))
    assert "(no equivalence test)" in ce and "better: KL (Hinton) +5.00 pp [" in ce
    # "no difference" is said once, to say that inconclusive is not that.
    assert text.lower().count("no difference") == text.count("it is not evidence of no difference") == 1
    power = next(line for line in lines if line.startswith("Power:"))
    assert "with 5 seeds as units of replication and Holm over 9 tests" in power and "80% power" in power
    assert "range from −5.00 pp to +3.10 pp" in power
    assert "The test sample's variance is added from each test image's influence" in text
    assert "every verdict holds for this teacher and this tuning draw" in text  # one cluster
    assert "teacher" in text and "resnet_teacher_50" in text and "97.00% test accuracy" in text
    links = [part.split(")")[0] for part in text.split("](")[1:]]
    for link in links:
        assert (report.parent / link).exists(), link
    assert sum(link.startswith("figures/") and link.endswith(".png") for link in links) == len(FIGURES)


def test_main_table_has_no_bold_and_marks_only_verdicts(built: tuple[Path, Path]) -> None:
    exp_dir, _ = built
    md = (exp_dir / "report" / "tables" / "main.md").read_text(encoding="utf-8")
    rows = {line.split("|")[1].strip(): line for line in md.splitlines() if line.startswith("| ")}
    acc = {name: line.split("|")[2].strip() for name, line in rows.items()}
    assert "**" not in "".join(rows.values())
    assert acc["Rényi α=0.5"] == "95.10 ± 1.61 +† +‡"
    assert acc["Rényi α=2"] == "92.00 ± 1.44 ≈† +‡"
    assert acc["KL (Hinton)"] == "92.00 ± 1.58 +‡"  # kl against ce, tested once
    assert acc["CE (student alone)"] == "87.00 ± 1.85 −†"  # the same hypothesis, mirrored
    assert acc["Rényi α→0 (reverse KL)"].endswith("+‡") and "†" not in acc["Rényi α→0 (reverse KL)"]
    tex = (exp_dir / "report" / "tables" / "main.tex").read_text(encoding="utf-8")
    assert r"92.00$_{\pm 1.44}$$^{\approx \dagger\,+\ddagger}$" in tex and r"\textbf" not in tex
    for name in TABLES:
        assert (exp_dir / "report" / "tables" / f"{name}.tex").read_text(encoding="utf-8").isascii()
    csv = pd.read_csv(exp_dir / "report" / "tables" / "main.csv").set_index("method")
    assert csv.loc["renyi-a0.5", "test_acc_mean"] == pytest.approx(0.951, abs=1e-6)
    assert csv.loc["renyi-a2", "test_acc_vs_kl"] == "equivalent" and csv.loc["ce", "test_acc_vs_kl"] == "worse"
    hyper = pd.read_csv(exp_dir / "report" / "tables" / "hyperparameters.csv").set_index("method")
    assert hyper.loc["renyi-a0.5", "T"] == pytest.approx(5.0) and math.isnan(hyper.loc["ce", "T"])
    models = (exp_dir / "report" / "tables" / "models.md").read_text(encoding="utf-8")
    assert "250,000" in models and "97.00" in models and "22.7× fewer" in models


def test_summary_intervals_include_the_test_sample(built: tuple[Path, Path]) -> None:
    exp_dir, _ = built
    csv = pd.read_csv(exp_dir / "report" / "tables" / "main.csv").set_index("method")
    runs = pd.read_csv(exp_dir / "report" / "runs.csv")
    seeds_only = mean_ci(runs.loc[runs["method"] == "renyi-a2", "test_acc"])
    width = csv.loc["renyi-a2", "test_acc_ci_high"] - csv.loc["renyi-a2", "test_acc_ci_low"]
    # Each synthetic run gets its images right at random, so no image is hard for every run: the test sample's
    # noise is all image-by-run, which the seeds' spread already holds; the interval is the seeds' t interval.
    assert width == pytest.approx(seeds_only["ci_high"] - seeds_only["ci_low"], rel=1e-3)
    assert csv.loc["renyi-a2", "test_acc_ci_low"] < 0.92 < csv.loc["renyi-a2", "test_acc_ci_high"]


def test_missing_optional_inputs_skip_with_note(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    exp_dir = make_experiment(tmp_path, optional=False, predictions=False)
    with caplog.at_level(logging.INFO, logger="renyi_kd.report"):
        report = build_report(exp_dir, methods=["ce", "kl", "renyi-a0.5", "renyi-a2", "renyi-a0"], settings=SETTINGS)
    figures = exp_dir / "report" / "figures"
    for name in ("optuna_landscape", "learning_curves", "tuning_budget"):
        assert not (figures / f"{name}.png").exists() and name in caplog.text
    assert (figures / "accuracy_vs_alpha.png").exists() and (figures / "forest_vs_reference.png").exists()
    text = report.read_text(encoding="utf-8")
    assert "Figures skipped for lack of inputs: learning_curves, tuning_budget, optuna_landscape" in text
    assert "30 of 30 final runs have no saved test predictions" in text
    assert "Some intervals leave out the test sample's variance" in text
    assert set(comparisons_of(exp_dir)["interval"]) == {"seeds"}
    hyper = (exp_dir / "report" / "tables" / "hyperparameters.md").read_text(encoding="utf-8")
    assert "values are those of its final runs" in hyper
    md = (exp_dir / "report" / "tables" / "main.md").read_text(encoding="utf-8")
    order = [line.split("|")[1].strip() for line in md.splitlines() if line.startswith("| ")][1:]
    assert order[:3] == ["CE (student alone)", "KL (Hinton)", "Rényi α=0.5"]  # the given order wins
    assert order[-1] == "js"  # not in the given list: appended


def test_missing_runs_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="runs.csv"):
        build_report(tmp_path)


def test_theory_figures_alone(tmp_path: Path) -> None:
    paths_ = theory_figures(tmp_path / "figs")
    assert sorted(p.name for p in paths_) == sorted(
        f"{n}.{e}" for n in ("temperature_scaling", "divergence_vs_alpha", "gradient_vs_temperature")
        for e in ("pdf", "png")
    )  # fmt: skip
    assert all(p.stat().st_size > 0 for p in paths_)


# ------------------------------------------------------------------------------------------ LaTeX

PDFLATEX_PACKAGES = "texlive-latex-base texlive-latex-recommended"


def test_tables_compile_with_pdflatex(built: tuple[Path, Path], tmp_path: Path) -> None:
    pdflatex = shutil.which("pdflatex")
    if pdflatex is None:
        pytest.skip(
            "pdflatex not on PATH: install the Debian packages "
            f"`apt-get install --no-install-recommends {PDFLATEX_PACKAGES}` to run the LaTeX compile test"
        )
    exp_dir, _ = built
    for name in TABLES:
        shutil.copy(exp_dir / "report" / "tables" / f"{name}.tex", tmp_path / f"{name}.tex")
        doc = tmp_path / f"doc_{name}.tex"
        doc.write_text(
            "\\documentclass{article}\n\\usepackage{booktabs}\n\\begin{document}\n"
            f"\\input{{{name}.tex}}\n\\end{{document}}\n"
        )
        result = subprocess.run(
            [pdflatex, "-interaction=nonstopmode", "-halt-on-error", doc.name],
            cwd=tmp_path, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert result.returncode == 0, result.stdout[-3000:]
        assert (tmp_path / f"doc_{name}.pdf").stat().st_size > 0
        log = (tmp_path / f"doc_{name}.log").read_text(errors="replace")
        assert "Missing character" not in log and "Undefined control sequence" not in log


def test_a_single_seed_and_a_reference_without_runs_do_not_crash(tmp_path: Path) -> None:
    exp_dir = make_experiment(tmp_path, optional=False)
    runs = pd.read_csv(Layout(exp_dir).report.runs)
    runs = runs[(runs["method"] != "ce") & ((runs["method"] != "js") | (runs["seed"] == 0))]
    runs.to_csv(Layout(exp_dir).report.runs, index=False)
    text = build_report(exp_dir, settings=SETTINGS).read_text(encoding="utf-8")
    assert "reference ce has no runs; no comparison against it is tested" in text
    assert "js against kl (test_acc): one paired run; no test, inconclusive." in text
    table = comparisons_of(exp_dir)
    js = table[(table["method"] == "js") & (table["metric"] == "test_acc")].iloc[0]
    assert js["n"] == 1 and math.isnan(js["p"]) and js["verdict"] == "inconclusive"
    assert set(table["reference"]) == {"kl"}
    main = (exp_dir / "report" / "tables" / "main.md").read_text(encoding="utf-8")
    assert "| js " in main and "‡" not in main
