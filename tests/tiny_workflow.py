"""The real Snakemake workflow on the tiny config, run once per test session (tests/conftest.py) and shared by
the tests that read its results: tests/test_workflow.py and tests/test_browser.py."""

from __future__ import annotations

import os
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
    """The whole workflow on the tiny config, with two workers sharing each study."""
    config = tiny_config("tiny")
    config["tuning"]["workers_per_study"] = 2
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))
    result = snakemake(workdir)
    assert result.returncode == 0, result.stderr[-5000:]
    return workdir
