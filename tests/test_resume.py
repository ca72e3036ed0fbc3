"""A hard kill of the whole workflow (kill -9 of its process group) in the middle of a job that trains several
seeds: the next `make run` clears the stale lock by itself and ends with the numbers of an uninterrupted run
that trained one seed per job (so batching seeds changes no number either)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from tiny_config import ROOT, tiny_config

pytestmark = pytest.mark.e2e
SEEDS = [0, 1, 2]
sys.path.insert(0, str(ROOT / "workflow" / "scripts"))
import recover_lock  # noqa: E402


def batched_config(workdir: Path, seeds_per_job: int) -> Path:
    config = tiny_config("resume")
    config["methods"] = {"ce": None, "kl": None}
    config["seeds"] = SEEDS
    config["final"] = {"seeds_per_job": seeds_per_job}  # 3: one job trains all three seeds of a method
    config["student"]["epochs"] = 8
    config["tuning"]["enabled"] = False
    path = workdir / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def make_run(workdir: Path, **popen) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "MAKE"))}
    args = f"--directory {workdir} --configfile {workdir / 'config.yaml'} --quiet all"
    return subprocess.Popen(["make", "-s", "-C", str(ROOT), "run", f"SNAKEMAKE_ARGS={args}"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **popen)


def finished(workdir: Path) -> pd.DataFrame:
    run = make_run(workdir)
    output, _ = run.communicate(timeout=900)
    assert run.returncode == 0, output[-4000:]
    runs = pd.read_csv(workdir / "results" / "resume" / "report" / "runs.csv")
    return runs.drop(columns=["wall_time_s"]).sort_values(["method", "seed"]).reset_index(drop=True)


def wait_for(condition, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the workflow never reached the point to kill it at")
        time.sleep(0.2)


def test_a_hard_kill_mid_batch_resumes_to_identical_numbers_without_unlock(tmp_path: Path) -> None:
    reference_dir, killed_dir = tmp_path / "reference", tmp_path / "killed"
    for workdir, seeds_per_job in ((reference_dir, 1), (killed_dir, len(SEEDS))):
        workdir.mkdir()
        batched_config(workdir, seeds_per_job)
    reference = finished(reference_dir)

    final = killed_dir / "results" / "resume" / "final" / "kl"
    run = make_run(killed_dir, start_new_session=True)
    # Kill once the batch has finished seed 0 and is training seed 1.
    wait_for(lambda: (final / "seed0" / "metrics.json").exists() and (final / "seed1" / "checkpoint.safetensors").exists(),
             timeout=600)
    os.killpg(run.pid, signal.SIGKILL)
    run.wait()
    assert list((killed_dir / ".snakemake" / "locks").iterdir())  # the kill left Snakemake's lock behind

    resumed = finished(killed_dir)
    pd.testing.assert_frame_equal(resumed, reference)
    import mlflow

    client = mlflow.MlflowClient(f"sqlite:///{killed_dir / 'results' / 'mlflow.db'}")
    runs = client.search_runs([client.get_experiment_by_name("resume").experiment_id])
    assert {r.info.status for r in runs} == {"FINISHED"}  # none left RUNNING
    current = [r.data.tags["renyi_kd.job"] for r in runs if not r.data.tags.get("renyi_kd.superseded")]
    assert sorted(current) == sorted({*current}) and len([j for j in current if j.startswith("final/")]) == 6


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
