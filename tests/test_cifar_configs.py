"""The CIFAR-100 recipe as configs (configs/cifar100*.yaml, configs/cifar100-pairs/) and the SLURM GPU profile:
they validate against a CIFAR-100 folder, hold the published recipe, and the pair overlays change only the pair."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from snakemake.utils import update_config

from renyi_kd.config import validate_config
from renyi_kd.data.split_plan import plan_splits
from renyi_kd.data.synthetic import write_synthetic_cifar100
from renyi_kd.layout import study_id
from tiny_config import ROOT

CONFIGS = ROOT / "configs"
PAIRS = sorted((CONFIGS / "cifar100-pairs").glob("*.yaml"))
# The published recipe (RepDistiller / CRD Table 1, mdistiller) of every teacher and student.
RECIPE = {
    "epochs": 240,
    "batch_size": 64,
    "optimizer": {"name": "sgd", "lr": 0.05, "momentum": 0.9, "nesterov": False, "weight_decay": 0.0005},
    "schedule": {"name": "multistep", "milestones": [150, 180, 210], "gamma": 0.1, "warmup_epochs": 0},
}


def read(name: str) -> dict:
    return yaml.safe_load((CONFIGS / name).read_text())


@pytest.fixture(scope="module")
def cifar_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A working directory holding a CIFAR-100 archive at data/cifar100, where the recipe configs look."""
    workdir = tmp_path_factory.mktemp("cifar_configs")
    write_synthetic_cifar100(workdir / "data" / "cifar100", train_per_class=1, test_per_class=1)
    return workdir


def reproduction(overlay: Path | None = None) -> dict:
    """configs/cifar100-reproduction.yaml, with a pair overlay merged over it as snakemake merges --configfile files."""
    config = read("cifar100-reproduction.yaml")
    if overlay is not None:
        update_config(config, yaml.safe_load(overlay.read_text()))
    return config


def validated(config: dict, workdir: Path) -> dict:
    config = {**config, "data": {**config["data"], "root": str(workdir / config["data"]["root"])}}
    return validate_config(config)


def test_check_config_passes_with_data_root_at_a_cifar100_folder(cifar_folder: Path) -> None:
    command = [str(Path(sys.executable).parent / "renyi-kd"), "check-config", str(CONFIGS / "cifar100.yaml")]
    result = subprocess.run(command, cwd=cifar_folder, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["data"]["root"] == "data/cifar100"
    missing = subprocess.run(command, cwd=cifar_folder / "data", capture_output=True, text=True)  # no data/cifar100
    assert missing.returncode == 2 and "config key 'data.root'" in missing.stderr


@pytest.mark.parametrize("name", ["cifar100.yaml", "cifar100-reproduction.yaml"])
def test_the_recipe_configs_hold_the_published_recipe(name: str, cifar_folder: Path) -> None:
    config = validated(read(name), cifar_folder)
    for role in ("teacher", "student"):
        assert {key: config[role][key] for key in RECIPE} == RECIPE, role
    assert (config["teacher"]["model"], config["student"]["model"]) == ("resnet32x4", "resnet8x4")
    assert config["data"]["augmentation"] == "cifar" and config["distillation"]["teacher_outputs"] == "online"
    assert (config["distillation"]["beta"], config["distillation"]["T"]) == (0.9, 4.0)
    assert config["runtime"]["device"] == "cuda" and config["final"]["seeds_per_job"] == 1


def test_the_tuned_comparison_holds_out_val_and_the_reproduction_all_but_one_image_a_class(cifar_folder: Path) -> None:
    tuned, reproduction = (plan_splits(validated(read(name), cifar_folder)["data"])
                           for name in ("cifar100.yaml", "cifar100-reproduction.yaml"))
    assert (tuned.train, tuned.val, tuned.test) == (45000, 5000, 10000) and tuned.transfer == tuned.train
    assert (reproduction.train, reproduction.val, reproduction.test) == (49900, 100, 10000)
    assert reproduction.transfer == reproduction.train and tuned.official_test and reproduction.official_test


def test_the_reproduction_is_hintons_kd_untuned(cifar_folder: Path) -> None:
    config = validated(read("cifar100-reproduction.yaml"), cifar_folder)
    assert list(config["methods"]) == ["ce", "kl"] and not config["tuning"]["enabled"]
    assert config["distillation"]["scaling"] == "hinton"
    tuned = validated(read("cifar100.yaml"), cifar_folder)
    assert tuned["tuning"]["enabled"] and {"ce", "kl"} < set(tuned["methods"])


@pytest.mark.parametrize("overlay", PAIRS, ids=[p.stem for p in PAIRS])
def test_a_pair_overlay_changes_the_pair_and_nothing_else(overlay: Path, cifar_folder: Path) -> None:
    config, reference = validated(reproduction(overlay), cifar_folder), validated(reproduction(), cifar_folder)
    teacher, student = config["teacher"]["model"], config["student"]["model"]
    assert config["experiment"] == f"cifar100-reproduction-{overlay.stem}"
    assert overlay.stem == f"{teacher}-{student}".replace("_cifar", "")
    for role in ("teacher", "student"):
        assert {**config[role], "model": reference[role]["model"]} == reference[role]
    assert {k: v for k, v in config.items() if k not in ("experiment", "teacher", "student")} == \
        {k: v for k, v in reference.items() if k not in ("experiment", "teacher", "student")}


def test_the_ledger_shows_every_published_pair_with_its_config() -> None:
    published = yaml.safe_load((ROOT / "docs" / "published.yaml").read_text())
    rows = [line for line in (ROOT / "docs" / "reproduction.md").read_text().splitlines()
            if line.startswith("|") and "→" in line and "published" not in line]
    assert len(rows) == len(published["results"])
    for entry, row in zip(published["results"], rows):
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        linked = (ROOT / "docs" / re.search(r"\]\(([^)]+)\)", cells[1])[1]).resolve()
        config = reproduction(None if linked.name == "cifar100-reproduction.yaml" else linked)
        assert (config["teacher"]["model"], config["student"]["model"]) == (entry["teacher"], entry["student"])
        assert [cells[2], cells[4], cells[6]] == [f"{entry[key]:.2f}" for key in ("teacher_acc", "ce", "kl")]
        assert entry["source"] in published["sources"] and entry["dataset"] == config["data"]["name"]


def test_every_recipe_config_is_its_own_experiment() -> None:
    names = [read(p.name)["experiment"] for p in CONFIGS.glob("cifar100*.yaml")]
    names += [yaml.safe_load(p.read_text())["experiment"] for p in PAIRS]
    assert len(names) == len(set(names)) == 3 + len(PAIRS)


def test_the_smoke_config_runs_the_recipe_at_small_scale(cifar_folder: Path) -> None:
    smoke = read("cifar100-smoke.yaml")
    recipe = read("cifar100.yaml")
    for role in ("teacher", "student"):
        schedule, epochs = smoke[role]["schedule"], smoke[role]["epochs"]
        assert schedule["milestones"] == [round(m * epochs / RECIPE["epochs"]) for m in RECIPE["schedule"]["milestones"]]
        assert {**smoke[role]["optimizer"]} == RECIPE["optimizer"] and smoke[role]["batch_size"] == RECIPE["batch_size"]
    assert smoke["data"]["augmentation"] == recipe["data"]["augmentation"]
    for key in ("beta", "T", "teacher_outputs", "scaling"):
        assert smoke["distillation"][key] == recipe["distillation"][key]


def test_the_slurm_gpu_profile_asks_a_gpu_for_training_and_keeps_the_config_whole(cifar_folder: Path,
                                                                                   tmp_path: Path) -> None:
    """A dry run beside the digits config.yaml, which snakemake would otherwise merge in (its methods too)."""
    shutil.copytree(cifar_folder / "data", tmp_path / "data")
    shutil.copy(ROOT / "config.yaml", tmp_path / "config.yaml")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    result = subprocess.run(
        [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"), "--directory", str(tmp_path),
         "--profile", str(ROOT / "workflow" / "profiles" / "slurm"),
         "--workflow-profile", str(ROOT / "workflow" / "profiles" / "slurm-gpu"),
         "--configfile", str(CONFIGS / "cifar100-reproduction.yaml"), str(CONFIGS / "cifar100-pairs" / PAIRS[0].name),
         "--dry-run"], env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    jobs = {(rule, wildcards): resources for rule, wildcards, resources in
            re.findall(r"^rule (\w+):\n(?:(?!rule ).*\n)*?(?:    wildcards: (.*)\n)?(?:    priority: .*\n)?    resources: (.*)$",
                       result.stdout, flags=re.MULTILINE)}
    studies = {f"study={study_id(method, 0)}" for method in ("ce", "kl")}  # not the methods of config.yaml
    assert {wildcards for _, wildcards in jobs} == {"", "teacher=0", *studies}
    gpu = {rule for (rule, _), resources in jobs.items() if "gpu=1" in resources}
    assert gpu == {"train_teacher", "export_logits", *(f"final_seed{s}" for s in range(5))}
