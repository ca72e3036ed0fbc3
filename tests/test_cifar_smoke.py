"""`make smoke` end to end (configs/cifar100-smoke.yaml: the CIFAR-100 recipe with augmentation and the teacher
online, on the synthetic archive), and the same run killed with kill -9 mid-teacher and mid-final-runs, which
resumes to the identical runs.csv."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import pandas as pd
import pytest
import yaml

from test_resume import wait_for
from tiny_config import ROOT

pytestmark = pytest.mark.e2e
SMOKE = ROOT / "configs" / "cifar100-smoke.yaml"
CONFIG = yaml.safe_load(SMOKE.read_text())
EXP = CONFIG["experiment"]
CHANCE = 0.01


def make_smoke(workdir: Path, **popen) -> subprocess.Popen:
    """`make smoke` in ``workdir`` (it writes the synthetic archive there first), outside any MLflow run or make."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "MAKE"))}
    return subprocess.Popen(["make", "-s", "-C", str(ROOT), "smoke", f"SMOKE_DIR={workdir}", "SNAKEMAKE_ARGS=--quiet"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **popen)


def finish(run: subprocess.Popen) -> None:
    output, _ = run.communicate(timeout=900)
    assert run.returncode == 0, output[-4000:]


def final_numbers(workdir: Path) -> pd.DataFrame:
    runs = pd.read_csv(workdir / "results" / EXP / "report" / "runs.csv")
    return runs.drop(columns=["wall_time_s"]).sort_values(["method", "seed"]).reset_index(drop=True)


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    workdir = tmp_path_factory.mktemp("cifar100_smoke")
    finish(make_smoke(workdir))
    return workdir


def test_the_smoke_recipe_learns_above_chance(smoke_run: Path) -> None:
    exp = smoke_run / "results" / EXP
    runs = final_numbers(smoke_run)
    assert sorted(zip(runs["method"], runs["seed"])) == sorted((m, s) for m in CONFIG["methods"] for s in CONFIG["seeds"])
    assert (runs["test_acc"] > 10 * CHANCE).all() and (runs["agreement"] > 10 * CHANCE).all()
    teacher = json.loads((exp / "teacher" / "metrics.json").read_text())
    assert teacher["test_acc"] > runs["test_acc"].max() and teacher["epochs"] == CONFIG["teacher"]["epochs"]
    for method in CONFIG["methods"]:
        best = json.loads((exp / "tune" / method / "best.json").read_text())
        assert best["n_trials"] == CONFIG["tuning"]["n_trials"]
    assert (exp / "report" / "report.md").stat().st_size > 0


def test_the_smoke_splits_are_the_official_parts(smoke_run: Path) -> None:
    splits = json.loads((smoke_run / "results" / EXP / "data" / "splits.json").read_text())
    n_train = 100 * 10  # the archive's train part: 10 images of each class; its 200 test images follow
    assert splits["drawn_from"]["test"] == "official test part" and splits["official_test"] == 200
    assert splits["splits"]["test"] == list(range(n_train, n_train + 200))
    assert sorted(splits["splits"]["train"] + splits["splits"]["val"]) == list(range(n_train))
    assert splits["splits"]["transfer"] == splits["splits"]["train"]  # transfer_size: null, all of train


def test_a_killed_run_with_augmentation_resumes_to_identical_numbers(smoke_run: Path, tmp_path: Path) -> None:
    workdir = tmp_path
    exp = workdir / "results" / EXP
    kill_points = {
        "mid-teacher": lambda: (exp / "teacher" / "checkpoint.safetensors").exists(),
        # every study done (a study cut short draws fresh trials), a final job half-way through its two seeds
        "mid-final-runs": lambda: all((exp / "tune" / m / "best.json").exists() for m in CONFIG["methods"])
        and any(exp.glob("final/*/seed1/checkpoint.safetensors")),
    }
    for name, reached in kill_points.items():
        run = make_smoke(workdir, start_new_session=True)
        wait_for(lambda: reached() or run.poll() is not None, timeout=600)
        assert run.poll() is None, f"the workflow ended before the {name} kill point"
        os.killpg(run.pid, signal.SIGKILL)
        run.wait()
    finish(make_smoke(workdir))  # clears the lock the kill left, as `make run` does

    pd.testing.assert_frame_equal(final_numbers(workdir), final_numbers(smoke_run))
    assert "resuming after epoch" in (exp / "logs" / "train_teacher.log").read_text()
    assert any("resuming after epoch" in log.read_text() for log in (exp / "logs" / "final").rglob("*.log"))
