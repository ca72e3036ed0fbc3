"""The command line starts light: --help imports no torch, timm, mlflow or optuna; checking a config imports
timm (for the model names) but neither mlflow nor optuna; a study's bookkeeping never imports torch."""

from __future__ import annotations

import json
import subprocess
import sys

from tiny_config import ROOT

HEAVY = ("torch", "timm", "mlflow", "optuna")


def imported_after(code: str) -> list[str]:
    probe = f"{code}\nimport sys, json\nprint(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_help_imports_nothing_heavy() -> None:
    code = "from renyi_kd.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass"
    assert imported_after(code) == []


def test_check_config_imports_only_timm_for_the_model_names() -> None:
    code = "from renyi_kd.cli import main\nmain(['check-config', 'config.yaml'])"
    assert set(imported_after(code)) <= {"torch", "timm"}
    assert not {"mlflow", "optuna"} & set(imported_after(code))


def test_the_package_and_its_bookkeeping_modules_import_without_torch() -> None:
    code = ("import renyi_kd, renyi_kd.tuning.study, renyi_kd.layout, renyi_kd.experiment, renyi_kd.tuning.design, "
            "renyi_kd.training.optim, renyi_kd.config")
    assert "torch" not in imported_after(code)
    assert "torch" in imported_after("from renyi_kd import DistillationLoss")  # loaded on first use
