"""`make smoke` end to end (configs/cifar100-smoke.yaml: the CIFAR-100 recipe with augmentation and the teacher
online, on the synthetic archive), and kill -9 of the same recipe mid-teacher and mid-final-runs: each resumes
to the identical result, the teacher's weights and the final runs' runs.csv. The final runs are killed in a copy
of the finished smoke run with its final runs deleted, so the teacher and the studies are not trained again."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
from pathlib import Path

import pandas as pd
import pytest
import yaml

from test_resume import wait_for
from tiny_config import ROOT
from tiny_workflow import copy_workflow

from renyi_kd.layout import Layout, study_id

pytestmark = pytest.mark.e2e
SMOKE = ROOT / "configs" / "cifar100-smoke.yaml"
CONFIG = yaml.safe_load(SMOKE.read_text())
EXP = CONFIG["experiment"]
CHANCE = 0.01
TEACHER = CONFIG["teacher"]["seeds"][0]  # one teacher and one tuning draw: each method's one study
STUDIES = [study_id(method, TEACHER) for method in CONFIG["methods"]]


def make_smoke(workdir: Path, *targets: Path, **popen) -> subprocess.Popen:
    """`make smoke` in ``workdir`` (it writes the synthetic archive there first), outside any MLflow run or make;
    only up to ``targets`` (files under ``workdir``) when given."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "MAKE"))}
    args = " ".join([*(str(target.relative_to(workdir)) for target in targets), "--quiet"])  # --quiet takes words
    return subprocess.Popen(["make", "-s", "-C", str(ROOT), "smoke", f"SMOKE_DIR={workdir}", f"SNAKEMAKE_ARGS={args}"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **popen)


def finish(run: subprocess.Popen) -> None:
    output, _ = run.communicate(timeout=900)
    assert run.returncode == 0, output[-4000:]


def layout(workdir: Path) -> Layout:
    return Layout(workdir / "results" / EXP)


def kill_at(run: subprocess.Popen, reached, name: str) -> None:
    """kill -9 the process group of ``run`` once ``reached()``; fail if the run ends first."""
    wait_for(lambda: reached() or run.poll() is not None, timeout=600)
    assert run.poll() is None, f"the workflow ended before the {name} kill point:\n{run.stdout.read()[-4000:]}"
    os.killpg(run.pid, signal.SIGKILL)
    run.wait()


def final_numbers(workdir: Path) -> pd.DataFrame:
    runs = pd.read_csv(layout(workdir).report.runs)
    return runs.drop(columns=["wall_time_s"]).sort_values(["method", "seed"]).reset_index(drop=True)


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    workdir = tmp_path_factory.mktemp("cifar100_smoke")
    finish(make_smoke(workdir))
    return workdir


def test_the_smoke_recipe_learns_above_chance(smoke_run: Path) -> None:
    exp = layout(smoke_run)
    runs = final_numbers(smoke_run)
    assert sorted(zip(runs["method"], runs["seed"])) == sorted((m, s) for m in CONFIG["methods"] for s in CONFIG["seeds"])
    assert (runs["test_acc"] > 10 * CHANCE).all() and (runs["agreement"] > 10 * CHANCE).all()
    teacher = json.loads(exp.teacher(TEACHER).metrics.read_text())
    assert teacher["test_acc"] > runs["test_acc"].max() and teacher["epochs"] == CONFIG["teacher"]["epochs"]
    for study in STUDIES:
        best = json.loads(exp.study(study).best.read_text())
        assert best["n_trials"] == CONFIG["tuning"]["n_trials"]
    assert exp.report.document.stat().st_size > 0


def test_the_smoke_splits_are_the_official_parts(smoke_run: Path) -> None:
    splits = json.loads(layout(smoke_run).splits.read_text())
    n_train = 100 * 10  # the archive's train part: 10 images of each class; its 200 test images follow
    assert splits["drawn_from"]["test"] == "official test part" and splits["official_test"] == 200
    assert splits["splits"]["test"] == list(range(n_train, n_train + 200))
    assert sorted(splits["splits"]["train"] + splits["splits"]["val"]) == list(range(n_train))
    assert splits["splits"]["transfer"] == splits["splits"]["train"]  # transfer_size: null, all of train


def test_a_teacher_killed_mid_training_with_augmentation_resumes_to_identical_weights(smoke_run: Path,
                                                                                      tmp_path: Path) -> None:
    teacher = layout(tmp_path).teacher(TEACHER)
    kill_at(make_smoke(tmp_path, teacher.metrics, start_new_session=True), teacher.checkpoint.exists, "mid-teacher")
    finish(make_smoke(tmp_path, teacher.metrics))  # clears the lock the kill left, as `make run` does

    assert "resuming after epoch" in layout(tmp_path).log("train_teacher", f"seed{TEACHER}").read_text()
    resumed, reference = (json.loads(layout(workdir).teacher(TEACHER).metrics.read_text()) for workdir in (tmp_path, smoke_run))
    for metrics in (resumed, reference):
        del metrics["wall_time_s"]
    assert resumed == reference  # the weights' sha256 and every test and validation number


def test_final_runs_killed_mid_batch_with_augmentation_resume_to_identical_numbers(smoke_run: Path,
                                                                                  tmp_path: Path) -> None:
    workdir = copy_workflow(smoke_run, tmp_path / "killed")
    exp = layout(workdir)
    for redone in (exp.root / "final", exp.root / "logs" / "final", exp.report.dir):  # the rest stays done
        shutil.rmtree(redone)

    def mid_batch() -> bool:
        """A final job half-way through its two seeds."""
        return any(exp.final(study, 1).checkpoint.exists() for study in STUDIES)

    kill_at(make_smoke(workdir, exp.report.runs, start_new_session=True), mid_batch, "mid-final-runs")
    finish(make_smoke(workdir, exp.report.runs))

    pd.testing.assert_frame_equal(final_numbers(workdir), final_numbers(smoke_run))
    assert any("resuming after epoch" in log.read_text() for log in (exp.root / "logs" / "final").rglob("*.log"))
