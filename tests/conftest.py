"""Fixtures shared by several test files."""

from __future__ import annotations

from pathlib import Path

import pytest

from tiny_workflow import run_tiny_workflow


@pytest.fixture(scope="session")
def finished_workflow(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The working directory of one finished tiny workflow run, for every test that reads its results (a test that
    reruns part of it works on a copy: tiny_workflow.copy_workflow)."""
    return run_tiny_workflow(tmp_path_factory.mktemp("workflow"))
