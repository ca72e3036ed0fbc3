"""configs/fashion-mnist.yaml: it validates against a folder of the four IDX files (small ones the test writes, so
neither the Debian package nor a network is needed), splits the official 60,000 + 10,000 images as the issue asks,
and asks the default's question with the default's methods, protocol and cluster design."""

from __future__ import annotations

from pathlib import Path

import yaml

from renyi_kd.config import validate_config
from renyi_kd.data.split_plan import plan_splits
from renyi_kd.experiment import Experiment
from test_data import tiny_fashion_mnist
from tiny_config import ROOT


def read(name: str) -> dict:
    return yaml.safe_load((ROOT / name).read_text())


def test_the_fashion_mnist_config_validates_against_a_folder_of_the_four_files(tmp_path: Path) -> None:
    config = read("configs/fashion-mnist.yaml")
    config["data"]["root"] = str(tiny_fashion_mnist(tmp_path))
    experiment = Experiment.from_config(validate_config(config))
    assert experiment.data.name == "fashion_mnist" and len(experiment.clusters) >= 4


def test_its_test_split_is_the_official_ten_thousand_and_train_plus_val_the_official_sixty_thousand() -> None:
    sizes = plan_splits(read("configs/fashion-mnist.yaml")["data"])
    assert sizes.official_test and sizes.test == 10000 and sizes.train + sizes.val == 60000
    assert 0 < sizes.transfer < sizes.train


def test_it_asks_the_defaults_question_with_the_defaults_methods_and_protocol() -> None:
    config, default = read("configs/fashion-mnist.yaml"), read("config.yaml")
    assert list(config["methods"]) == list(default["methods"])
    assert config["report"] == default["report"] and config["seeds"] == default["seeds"]
    for key in ("objective", "seed", "repeats", "pruner", "search_space"):
        assert config["tuning"][key] == default["tuning"][key], key
