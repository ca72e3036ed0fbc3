"""Tests of the thesis report: statistics against hand computations, theory-figure data, and a full build
on a synthetic experiment folder (tables, figures, report.md, LaTeX compilation)."""

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
from PIL import Image

from renyi_kd.report import build_report, theory_figures
from renyi_kd.report.formatting import fmt_sci, latex_escape
from renyi_kd.report.methods import method_alpha, method_label, method_palette, sort_methods
from renyi_kd.report.stats import holm_adjust, mean_ci, paired_comparisons, paired_difference, summarize
from renyi_kd.report.theory import (
    divergence_vs_alpha_data,
    gradient_vs_temperature_data,
    temperature_scaling_data,
)

SEEDS = [0, 1, 2, 3, 4]
KL_ACC = [0.90, 0.92, 0.94, 0.91, 0.93]
# Per-seed differences to KL, chosen so that renyi-a0.5 is clearly better, ce clearly worse and the others not.
ACC_DIFF = {
    "ce": [-0.050, -0.060, -0.045, -0.055, -0.050],
    "kl": [0.0] * 5,
    "renyi-a0": [0.010, -0.020, 0.015, -0.005, 0.000],
    "renyi-a0.5": [0.020, 0.025, 0.022, 0.018, 0.024],
    "renyi-a2": [0.002, -0.003, 0.001, -0.001, 0.000],
}
METHODS = ["ce", "kl", "renyi-a0", "renyi-a0.5", "renyi-a2"]
T_DF4_975 = 2.7764451051977934  # t quantile, 4 degrees of freedom, 0.975 (tables)


# ------------------------------------------------------------------------------------------ fixtures


def _runs_frame() -> pd.DataFrame:
    rows = []
    for method in METHODS:
        alpha = method_alpha(method)
        for seed, base, diff in zip(SEEDS, KL_ACC, ACC_DIFF[method]):
            acc = base + diff
            rows.append(
                {
                    "experiment": "synthetic_exp",
                    "method": method,
                    "divergence": None if method == "ce" else "renyi",
                    "alpha": np.nan if alpha is None else alpha,
                    "beta": 0.0 if method == "ce" else 0.7,
                    "T": np.nan if method == "ce" else 4.0,
                    "scaling": "thesis",
                    "lr": 3e-3,
                    "weight_decay": 5e-4,
                    "seed": seed,
                    "test_acc": acc,
                    "test_nll": 1.2 - acc + 0.01 * seed,
                    "test_ece": 0.05 - 0.02 * (acc - 0.9) + 0.001 * seed,
                    "agreement": acc + 0.02,
                    "fidelity_kl": 0.5 - 0.3 * (acc - 0.85),
                    "epochs": 3,
                    "wall_time_s": 10.0 + seed,
                    "student_params": 11_000,
                    "teacher": "resnet_teacher_50",
                    "student": "resnet_student_18",
                }
            )
    return pd.DataFrame(rows)


def make_experiment(root: Path, *, optional: bool = True) -> Path:
    """Synthetic ``results/{exp}/`` folder; ``optional=False`` writes only ``report/runs.csv``."""
    exp_dir = root / "synthetic_exp"
    (exp_dir / "report").mkdir(parents=True)
    _runs_frame().to_csv(exp_dir / "report" / "runs.csv", index=False)
    if not optional:
        return exp_dir
    (exp_dir / "teacher").mkdir()
    teacher = {"model": "resnet_teacher_50", "params": 250_000, "test_acc": 0.97, "val_acc": 0.965,
               "epochs": 10, "wall_time_s": 100.0}  # fmt: skip
    (exp_dir / "teacher" / "metrics.json").write_text(json.dumps(teacher))
    rng = np.random.default_rng(1)
    for i, method in enumerate(METHODS):
        tune = exp_dir / "tune" / method
        tune.mkdir(parents=True)
        alpha = method_alpha(method)
        params = {"lr": 3e-3, "weight_decay": 5e-4}
        if method != "ce":
            params |= {"T": 2.0 + i, "beta": 0.5 + 0.1 * i}
        best = {"method": method, "divergence": None if method == "ce" else "renyi", "alpha": alpha,
                "params": params, "value": 0.9 + 0.01 * i, "best_trial": 0, "n_trials": 12, "n_complete": 9,
                "n_pruned": 2, "n_failed": 1, "epochs_trained": 30, "epochs_budget": 36}  # fmt: skip
        (tune / "best.json").write_text(json.dumps(best))
        n = 13  # the last one finished past the budget (two workers racing): never shown
        trials = pd.DataFrame(
            {
                "number": range(n),
                "state": ["COMPLETE"] * 9 + ["PRUNED"] * 2 + ["FAIL", "COMPLETE"],
                "value": list(0.85 + 0.1 * rng.random(9)) + [0.5, 0.5, np.nan, 0.999],
                "epochs_trained": [3] * 9 + [1, 1, 0, 3],
                "counts_towards_budget": [True] * 12 + [False],
                "params_lr": 10 ** rng.uniform(-4, -2, n),
                "params_weight_decay": 10 ** rng.uniform(-5, -3, n),
            }
        )
        if method != "ce":
            trials["params_T"] = 10 ** rng.uniform(0, 1.3, n)
            trials["params_beta"] = rng.uniform(0, 1, n)
        trials.to_csv(tune / "trials.csv", index=False)
        for seed in SEEDS:
            run_dir = exp_dir / "final" / method / f"seed{seed}"
            run_dir.mkdir(parents=True)
            epochs = np.arange(1, 6)
            final = KL_ACC[seed] + ACC_DIFF[method][seed]
            pd.DataFrame(
                {
                    "epoch": epochs,
                    "train_loss": 2.0 / epochs,
                    "val_acc": final * (1 - 0.5 / epochs) + 0.01 * rng.random(5),
                    "val_loss": 1.5 / epochs,
                }
            ).to_csv(run_dir / "history.csv", index=False)
    return exp_dir


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    exp_dir = make_experiment(tmp_path_factory.mktemp("results"))
    return exp_dir, build_report(exp_dir)


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
    assert result["ci_high"] - result["ci_low"] == pytest.approx(2 * 0.0196324, rel=1e-5)

    summary = summarize(_runs_frame(), ["test_acc"]).set_index("method")
    assert summary.loc["kl", "mean"] == pytest.approx(0.92)
    assert summary.loc["kl", "std"] == pytest.approx(std)
    assert list(summary.index) == METHODS


def _t_cdf_df4(x: float) -> float:
    """Closed-form CDF of Student's t with 4 degrees of freedom."""
    u = 1 + x * x / 4
    return 0.5 + 3 / 8 * (x / math.sqrt(u)) * (1 - x * x / (12 * u))


def _hand_paired_t(diffs: list[float]) -> tuple[float, float, float]:
    n = len(diffs)
    mean = sum(diffs) / n
    sd = math.sqrt(sum((d - mean) ** 2 for d in diffs) / (n - 1))
    t = mean / (sd / math.sqrt(n))
    assert n == 5
    return t, 2 * (1 - _t_cdf_df4(abs(t))), mean / sd


def _hand_holm(pvalues: list[float]) -> list[float]:
    order = sorted(range(len(pvalues)), key=lambda i: pvalues[i])
    m = len(pvalues)
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * pvalues[i]))
        adjusted[i] = running
    return adjusted


def test_paired_tests_and_holm_match_hand_computation() -> None:
    runs = _runs_frame()
    table = paired_comparisons(runs, "kl", ["test_acc"]).set_index("method")
    others = ["ce", "renyi-a0", "renyi-a0.5", "renyi-a2"]
    assert list(table.index) == others
    hand = {}
    for method in others:
        diffs = [(b + d) - b for b, d in zip(KL_ACC, ACC_DIFF[method])]
        hand[method] = _hand_paired_t(diffs)
        t, p, dz = hand[method]
        assert table.loc[method, "t_stat"] == pytest.approx(t, rel=1e-9)
        assert table.loc[method, "p_ttest"] == pytest.approx(p, rel=1e-7, abs=1e-12)
        assert table.loc[method, "cohens_dz"] == pytest.approx(dz, rel=1e-9)
        assert table.loc[method, "mean_diff"] == pytest.approx(sum(diffs) / 5, abs=1e-12)
        assert table.loc[method, "n_pairs"] == 5
    assert table.loc["renyi-a0.5", "mean_diff"] == pytest.approx(0.0218, abs=1e-12)
    holm = _hand_holm([hand[m][1] for m in others])
    for method, expected in zip(others, holm):
        assert table.loc[method, "p_ttest_holm"] == pytest.approx(expected, rel=1e-7)
    # Holm never lowers a p-value and is monotone in the raw p-values.
    assert (table["p_ttest_holm"] >= table["p_ttest"] - 1e-15).all()
    assert set(table.index[table["significant"]]) == {"ce", "renyi-a0.5"}
    # Wilcoxon: five differences of one sign give the exact two-sided p = 2 / 2^5.
    assert table.loc["renyi-a0.5", "p_wilcoxon"] == pytest.approx(0.0625)
    assert table.loc["ce", "p_wilcoxon"] == pytest.approx(0.0625)


def test_holm_adjust_hand_values_and_nan() -> None:
    assert holm_adjust([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    out = holm_adjust([0.02, np.nan, 0.5])
    assert out[0] == pytest.approx(0.04) and math.isnan(out[1]) and out[2] == pytest.approx(0.5)


def test_degenerate_comparisons_give_nan_not_errors() -> None:
    one = paired_difference(np.array([0.9]), np.array([0.8]))
    assert one["n_pairs"] == 1 and one["mean_diff"] == pytest.approx(0.1)
    assert all(math.isnan(one[k]) for k in ("sd_diff", "ci_low", "cohens_dz", "p_ttest", "p_wilcoxon"))
    x = np.array([0.91, 0.92, 0.93])
    equal = paired_difference(x, x - 0.01)  # every difference 0.01 (up to rounding)
    assert math.isnan(equal["p_ttest"]) and math.isnan(equal["cohens_dz"])
    same = paired_difference(x, x)
    assert math.isnan(same["p_ttest"]) and math.isnan(same["p_wilcoxon"]) and same["mean_diff"] == 0
    assert math.isnan(mean_ci([0.5])["std"]) and mean_ci([])["n"] == 0

    runs = _runs_frame()
    single = runs[runs["seed"] == 0]
    table = paired_comparisons(single, "kl", ["test_acc"])
    assert table["p_ttest"].isna().all() and table["p_ttest_holm"].isna().all()
    assert not table["significant"].any()
    assert paired_comparisons(runs, "missing-reference").empty


# ------------------------------------------------------------------------------------------ methods and formatting


def test_method_order_labels_and_palette() -> None:
    shuffled = ["renyi-a2", "renyi-a0.5", "kl", "renyi-a0", "ce", "renyi-ainf", "js"]
    assert sort_methods(shuffled) == ["ce", "kl", "renyi-a0", "renyi-a0.5", "renyi-a2", "renyi-ainf", "js"]
    assert method_alpha("kl") == 1.0 and method_alpha("renyi-a0") == 0.0 and method_alpha("ce") is None
    assert method_alpha("renyi-ainf") == math.inf
    palette = method_palette(shuffled)
    assert len(set(palette.values())) == len(shuffled)  # one distinct colour per method
    smaller = method_palette(["kl", "ce", "renyi-a0.5"])
    assert smaller["ce"] == palette["ce"] and smaller["kl"] == palette["kl"]
    extended = method_palette(["ce", "kl", "renyi-a0.5"], extra=["renyi-a5"])
    assert {k: extended[k] for k in smaller} == smaller and extended["renyi-a5"] not in smaller.values()
    assert method_label("renyi-a0.5") == "Rényi α=0.5"
    assert method_label("renyi-a0.5", "latex") == r"R\'enyi $\alpha=0.5$"


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

TABLES = ("main", "hyperparameters", "models")
FIGURES = (
    "temperature_scaling", "divergence_vs_alpha", "gradient_vs_temperature", "accuracy_vs_alpha",
    "tuned_vs_alpha", "optuna_landscape", "learning_curves",
)  # fmt: skip


def test_build_report_writes_every_table_and_figure(built: tuple[Path, Path]) -> None:
    exp_dir, report = built
    assert report == exp_dir / "report" / "report.md"
    for name in TABLES:
        for ext in ("tex", "md", "csv"):
            path = exp_dir / "report" / "tables" / f"{name}.{ext}"
            assert path.is_file() and path.stat().st_size > 0, path
    for name in FIGURES:
        for ext in ("pdf", "png"):
            path = exp_dir / "report" / "figures" / f"{name}.{ext}"
            assert path.is_file() and path.stat().st_size > 0, path
        with Image.open(exp_dir / "report" / "figures" / f"{name}.png") as image:
            width_in = image.size[0] / 200
        assert 3.0 <= width_in <= 3.7, (name, width_in)
    for name in ("summary", "comparisons"):
        assert (exp_dir / "report" / "stats" / f"{name}.csv").stat().st_size > 0


def test_only_the_trials_a_method_is_judged_on_are_reported(built: tuple[Path, Path]) -> None:
    from renyi_kd.report import load_trials

    trials = load_trials(built[0], METHODS)
    assert len(trials) == 12 * len(METHODS) and trials["number"].max() == 11
    assert trials.loc[trials["best"], "number"].tolist() == [0] * len(METHODS)  # best.json's, not the highest value


def test_report_md_states_significant_methods(built: tuple[Path, Path]) -> None:
    exp_dir, report = built
    text = report.read_text(encoding="utf-8")
    kl_paragraph = next(line for line in text.splitlines() if line.startswith("In test accuracy") and "from KL" in line)
    assert "Rényi α=0.5: +2.18 pp, 95% CI [+1.82, +2.54], d_z = 7.61" in kl_paragraph
    assert "CE (student alone): -5.20 pp" in kl_paragraph and "2 methods differ" in kl_paragraph
    assert "Rényi α=2" not in kl_paragraph
    ce_paragraph = next(line for line in text.splitlines() if "significantly from CE (student alone)" in line)
    assert "Rényi α=0.5" in ce_paragraph and "KL (Hinton)" in ce_paragraph
    assert "resnet_teacher_50" in text and "97.00% test accuracy" in text
    assert "Wilcoxon signed-rank test cannot reach" in text  # 5 seeds: min p = 0.0625
    links = [part.split(")")[0] for part in text.split("](")[1:]]
    for link in links:
        assert (report.parent / link).exists(), link
    assert sum(link.startswith("figures/") and link.endswith(".png") for link in links) == len(FIGURES)
    assert "| Method" in text  # markdown tables included


def test_main_table_bold_and_marks(built: tuple[Path, Path]) -> None:
    exp_dir, _ = built
    md = (exp_dir / "report" / "tables" / "main.md").read_text(encoding="utf-8")
    rows = {line.split("|")[1].strip(): line for line in md.splitlines() if line.startswith("| ")}
    acc = {name: line.split("|")[2].strip() for name, line in rows.items()}
    assert acc["Rényi α=0.5"] == "**94.18 ± 1.76**†‡"
    assert acc["CE (student alone)"].endswith("†") and "‡" not in acc["CE (student alone)"]
    assert acc["KL (Hinton)"] == "92.00 ± 1.58‡"
    assert "†" not in acc["Rényi α=2"]
    tex = (exp_dir / "report" / "tables" / "main.tex").read_text(encoding="utf-8")
    assert r"\textbf{94.18$_{\pm 1.76}$}$^{\dagger\ddagger}$" in tex and r"\toprule" in tex
    for name in TABLES:
        assert (exp_dir / "report" / "tables" / f"{name}.tex").read_text(encoding="utf-8").isascii()
    csv = pd.read_csv(exp_dir / "report" / "tables" / "main.csv").set_index("method")
    assert csv.loc["renyi-a0.5", "test_acc_mean"] == pytest.approx(0.9418)
    hyper = pd.read_csv(exp_dir / "report" / "tables" / "hyperparameters.csv").set_index("method")
    assert hyper.loc["renyi-a0.5", "T"] == pytest.approx(5.0) and math.isnan(hyper.loc["ce", "T"])
    models = (exp_dir / "report" / "tables" / "models.md").read_text(encoding="utf-8")
    assert "250,000" in models and "97.00" in models and "22.7× fewer" in models


def test_missing_optional_inputs_skip_with_note(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    exp_dir = make_experiment(tmp_path, optional=False)
    with caplog.at_level(logging.INFO, logger="renyi_kd.report"):
        report = build_report(exp_dir, methods=["ce", "kl", "renyi-a0.5", "renyi-a2", "renyi-a0"])
    figures = exp_dir / "report" / "figures"
    assert not (figures / "optuna_landscape.png").exists() and not (figures / "learning_curves.png").exists()
    assert (figures / "accuracy_vs_alpha.png").exists() and (figures / "tuned_vs_alpha.png").exists()
    assert "learning_curves" in caplog.text and "optuna_landscape" in caplog.text
    text = report.read_text(encoding="utf-8")
    assert "Figures skipped for lack of inputs: learning_curves, optuna_landscape" in text
    hyper = (exp_dir / "report" / "tables" / "hyperparameters.md").read_text(encoding="utf-8")
    assert "values are those of its final runs" in hyper
    md = (exp_dir / "report" / "tables" / "main.md").read_text(encoding="utf-8")
    order = [line.split("|")[1].strip() for line in md.splitlines() if line.startswith("| ")][1:]
    assert order[:3] == ["CE (student alone)", "KL (Hinton)", "Rényi α=0.5"]  # the given order wins


def test_missing_runs_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="runs.csv"):
        build_report(tmp_path)


def test_theory_figures_alone(tmp_path: Path) -> None:
    paths = theory_figures(tmp_path / "figs")
    assert sorted(p.name for p in paths) == sorted(
        f"{n}.{e}" for n in ("temperature_scaling", "divergence_vs_alpha", "gradient_vs_temperature")
        for e in ("pdf", "png")
    )  # fmt: skip
    assert all(p.stat().st_size > 0 for p in paths)


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


def test_single_seed_report_parts_do_not_crash(tmp_path: Path) -> None:
    from renyi_kd.report.document import significance_paragraph
    from renyi_kd.report.figures import accuracy_vs_alpha_figure
    from renyi_kd.report.stats import compare_to_references
    from renyi_kd.report.tables import main_table

    runs = _runs_frame()
    runs = runs[runs["seed"] == 0]
    summary = summarize(runs)
    comparisons = compare_to_references(runs)
    assert comparisons["p_ttest_holm"].isna().all()
    table = main_table(summary, comparisons, METHODS)
    assert table.text_rows[1][1] == "90.00"  # no std, no marks, no crash
    assert "could be computed" in significance_paragraph(comparisons, "kl")
    paths = accuracy_vs_alpha_figure(summary, tmp_path, method_palette(METHODS))
    assert paths is not None and all(p.stat().st_size > 0 for p in paths)
