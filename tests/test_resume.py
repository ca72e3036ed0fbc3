"""A hard kill of the whole workflow (kill -9 of its process group) in the middle of a job that trains several
seeds: the next `make run` clears the stale lock by itself and ends with the numbers of an uninterrupted run
that trained one seed per job (so batching seeds changes no number either). The uninterrupted run is the
session's tiny workflow (tests/conftest.py: one seed per job); the killed run is a copy of it whose final runs
are redone two seeds per job, so only the final runs are trained again."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from tiny_config import ROOT, SEEDS
from tiny_workflow import copy_workflow

from renyi_kd.layout import Layout, study_ids

sys.path.insert(0, str(ROOT / "workflow" / "scripts"))
import recover_lock  # noqa: E402

EXP = "tiny"


def make_run(workdir: Path, target: str, **popen) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "MAKE"))}
    # the target first: --configfile and --quiet read the words after them as their own
    args = f"{target} --directory {workdir} --configfile {workdir / 'config.yaml'} --quiet"
    return subprocess.Popen(["make", "-s", "-C", str(ROOT), "run", f"SNAKEMAKE_ARGS={args}"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **popen)


def final_numbers(workdir: Path) -> pd.DataFrame:
    runs = pd.read_csv(workdir / "results" / EXP / "report" / "runs.csv")
    return runs.drop(columns=["wall_time_s"]).sort_values(["method", "seed"]).reset_index(drop=True)


def wait_for(condition, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the workflow never reached the point to kill it at")
        time.sleep(0.05)  # the kill windows of the tiny runs last about a second


@pytest.mark.e2e
def test_a_hard_kill_mid_batch_resumes_to_identical_numbers_without_unlock(finished_workflow: Path,
                                                                           tmp_path: Path) -> None:
    workdir = copy_workflow(finished_workflow, tmp_path / "killed")
    config = yaml.safe_load((workdir / "config.yaml").read_text())
    config["final"]["seeds_per_job"] = len(SEEDS)  # one job trains both seeds of a method
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))
    exp = workdir / "results" / EXP
    for redone in ("final", "logs/final", "report"):  # the teacher, its logits and the studies stay done
        shutil.rmtree(exp / redone)
    target = f"results/{EXP}/report/runs.csv"
    layout = Layout(exp)
    studies = study_ids(list(config["methods"]), config["teacher"]["seeds"], config["tuning"]["repeats"])

    def mid_batch() -> list[str]:
        """The studies whose job has finished seed 0 and is training seed 1."""
        return [study for study in studies
                if layout.final(study, SEEDS[0]).metrics.exists() and layout.final(study, SEEDS[1]).checkpoint.exists()]

    run = make_run(workdir, target, start_new_session=True)
    wait_for(lambda: mid_batch() or run.poll() is not None, timeout=600)
    assert run.poll() is None, f"the workflow ended before a batch was half-way:\n{run.stdout.read()[-4000:]}"
    killed = mid_batch()
    os.killpg(run.pid, signal.SIGKILL)
    run.wait()
    assert list((workdir / ".snakemake" / "locks").iterdir())  # the kill left Snakemake's lock behind

    resumed = make_run(workdir, target)
    output, _ = resumed.communicate(timeout=900)
    assert resumed.returncode == 0, output[-4000:]
    pd.testing.assert_frame_equal(final_numbers(workdir), final_numbers(finished_workflow))
    logs = [layout.log("final", study, f"seeds{SEEDS[0]}-{SEEDS[-1]}") for study in killed]  # the batch's log
    assert any("resuming after epoch" in log.read_text() for log in logs)  # seed 1 went on from its checkpoint
    import mlflow

    client = mlflow.MlflowClient(f"sqlite:///{workdir / 'results' / 'mlflow.db'}")
    runs = client.search_runs([client.get_experiment_by_name(EXP).experiment_id])
    assert {r.info.status for r in runs} == {"FINISHED"}  # none left RUNNING
    current = [r.data.tags["renyi_kd.job"] for r in runs  # one run per job (the studies' trial runs have none)
               if "renyi_kd.job" in r.data.tags and not r.data.tags.get("renyi_kd.superseded")]
    assert sorted(current) == sorted({*current})
    assert len([j for j in current if j.startswith("final/")]) == len(config["methods"]) * len(SEEDS)


def test_a_lock_held_by_a_live_snakemake_is_refused(tmp_path: Path) -> None:
    (tmp_path / ".snakemake" / "locks").mkdir(parents=True)
    (tmp_path / ".snakemake" / "locks" / "0.input.lock").write_text("")
    fake = tmp_path / "bin" / "snakemake"  # a process whose command line looks like a Snakemake run here
    fake.parent.mkdir()
    fake.write_text("import time\ntime.sleep(60)\n")
    live = subprocess.Popen([sys.executable, str(fake), "--cores", "2"], cwd=tmp_path)
    try:
        wait_for(lambda: recover_lock.live_snakemakes(tmp_path.resolve()), timeout=10)
        result = subprocess.run([sys.executable, str(ROOT / "workflow" / "scripts" / "recover_lock.py"),
                                 "--directory", str(tmp_path)], capture_output=True, text=True)
        assert result.returncode == 1
        assert f"PID {live.pid}" in result.stderr and "do not unlock a live run" in result.stderr
        assert (tmp_path / ".snakemake" / "locks" / "0.input.lock").exists()
    finally:
        live.kill()
        live.wait()


def test_the_working_directory_of_a_snakemake_command_line() -> None:
    here = Path("/work/a")
    assert recover_lock.workdir_of(["--cores", "2"], here) == here
    assert recover_lock.workdir_of(["--directory", "b", "--cores", "2"], here) == Path("/work/a/b")
    assert recover_lock.workdir_of(["-d=/x", "--cores", "2"], here) == Path("/x")
