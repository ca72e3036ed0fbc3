"""The real Snakemake workflow on the tiny config, run once per test session (tests/conftest.py) and shared by
the tests that read its results (tests/test_workflow.py, tests/test_browser.py) or redo part of it in a copy
(tests/test_resume.py)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import yaml

from tiny_config import ROOT, tiny_config


def snakemake(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    """Snakemake on ``workdir/config.yaml`` with this repository's Snakefile, outside any MLflow run."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    command = [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"), "--directory", str(workdir),
               "--configfile", str(workdir / "config.yaml"), "--cores", "2", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)


def run_tiny_workflow(workdir: Path) -> Path:
    """The whole workflow on the tiny config, with two workers sharing each study and one job per seed (the
    cluster shape; tests/test_resume.py reruns the final runs of a copy two seeds per job against it)."""
    config = tiny_config("tiny")
    config["tuning"]["workers_per_study"] = 2
    config["final"]["seeds_per_job"] = 1
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))
    result = snakemake(workdir)
    assert result.returncode == 0, result.stderr[-5000:]
    return workdir


def copy_workflow(source: Path, target: Path) -> Path:
    """A copy of the finished workflow directory ``source`` (config, results, Snakemake's records, file times
    kept) at ``target``, so that a test can redo part of it without touching the original: Snakemake reruns
    only what the test deletes or changes there, and MLflow writes the copy's artifacts into the copy."""
    shutil.copytree(source, target, symlinks=True)
    old, new = (str(path.resolve()) for path in (source, target))
    with sqlite3.connect(target / "results" / "mlflow.db") as store:  # MLflow records absolute artifact places
        store.execute("UPDATE experiments SET artifact_location = replace(artifact_location, ?, ?)", (old, new))
        store.execute("UPDATE runs SET artifact_uri = replace(artifact_uri, ?, ?)", (old, new))
    store.close()
    return target
