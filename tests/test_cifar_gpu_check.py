"""bench/gpu_check.py (`make gpu-check`) where the tests run: without CUDA it says so and passes; on the CPU, at
small sizes, its every step runs (the CUDA-only precision paths aside) and it states the recipe configs' budgets."""

from __future__ import annotations

import sys

import pytest
import torch

from tiny_config import ROOT

sys.path.insert(0, str(ROOT / "bench"))
import gpu_check  # noqa: E402


def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, *args: str) -> str:
    monkeypatch.setattr(sys, "argv", ["gpu_check.py", *args])
    gpu_check.main()
    return capsys.readouterr().out


def test_without_cuda_it_says_so_and_passes(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert "gpu-check: no CUDA device here" in run(monkeypatch, capsys)


def test_on_the_cpu_every_step_runs(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    out = run(monkeypatch, capsys, "--device", "cpu", "--train-per-class", "10", "--epochs", "3",
              "--teacher", "test_resnet", "--student", "test_resnet", "--stem", "imagenet")
    assert "900 training images" in out and "student, float32" in out and "student, bare loop, deterministic" in out
    # The budgets the configs' comments state: tuning 10 x 24 x 60 plus final runs 10 x 10 x 240; 2 x 5 x 240.
    assert "configs/cifar100.yaml: at most 38,400 student and 240 teacher epochs" in out
    assert "configs/cifar100-reproduction.yaml: at most 2,400 student and 240 teacher epochs" in out
    assert "gpu-check passed" in out
