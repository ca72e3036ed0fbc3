"""Bad configuration is rejected before any job starts, with the offending key named."""

from __future__ import annotations

import copy
import math
from pathlib import Path

import pytest
import yaml

from renyi_kd.config import ConfigError, load_config, method_from_config, validate_config

DEFAULT = yaml.safe_load((Path(__file__).resolve().parents[1] / "config.yaml").read_text())


def changed(path: str, value) -> dict:
    config = copy.deepcopy(DEFAULT)
    *parents, leaf = path.split("/")
    node = config
    for key in parents:
        node = node[key]
    node[leaf] = value
    return config


def test_default_config_is_valid_and_gets_defaults() -> None:
    config = validate_config(DEFAULT)
    assert config["data"]["num_workers"] == 0
    assert config["teacher"]["model_kwargs"] == {}
    assert config["teacher"]["seeds"] == list(range(6))  # the default: six clusters, one teacher each
    assert validate_config(changed("teacher/seeds", [2, 0]))["teacher"]["seeds"] == [2, 0]
    without = copy.deepcopy(DEFAULT)
    del without["teacher"]["seeds"]
    assert validate_config(without)["teacher"]["seeds"] == [0]  # the default: one teacher, seed 0
    assert config["runtime"]["device"] == "auto"
    assert DEFAULT.get("runtime", {}).get("amp") is None  # the input is not modified


@pytest.mark.parametrize(
    ("config", "key", "words"),
    [
        (changed("data/transfer_sise", 10), "data.transfer_sise", "unknown key"),
        (changed("learning_rate", 0.1), "learning_rate", "unknown key"),
        (changed("teacher/model", "resnet_does_not_exist"), "teacher.model", "unknown timm model"),
        (changed("student/model", "vit_tiny_typo"), "student.model", "unknown timm model"),
        (changed("methods/renyi-a0.5", {"alpha": -0.5}), "methods.renyi-a0.5.alpha", "contradicts"),
        (changed("methods/renyi-a0.5", {"alpha": 2.0}), "methods.renyi-a0.5.alpha", "contradicts"),
        (changed("methods/renyi-a-1", None), "methods.renyi-a-1.divergence", "names its divergence"),
        (changed("methods/renyi-a1.2.3", None), "methods.renyi-a1.2.3", "needs a number"),
        (changed("methods/renyi-a0.5", {"divergence": "js"}), "methods.renyi-a0.5.divergence", "contradicts"),
        (changed("methods/kl", {"alpha": 2}), "methods.kl.alpha", "contradicts"),
        (changed("methods/mine", {"beta": 0.5}), "methods.mine.divergence", "names its divergence"),
        (changed("methods/mine", {"divergence": "hellinger"}), "methods.mine.divergence", "must be one of"),
        (changed("methods/mine", {"divergence": "js", "lam": 2.0}), "methods.mine.lam", "must be in"),
        (changed("methods/mine", {"divergence": "js", "alpha": 0.5}), "methods.mine.alpha", "not a parameter"),
        (changed("methods/mine", {"divergence": "js", "scaling": "thesis"}), "methods.mine.scaling", "divides by the order"),
        (changed("methods/mine", {"divergence": "js", "tune": ["lam", "nope"]}), "methods.mine.tune", "no default search range"),
        (changed("methods/ce", {"lam": 0.5}), "methods.ce.lam", "no divergence parameters"),
        (changed("methods/mine", {"divergence": "js", "transfer": "test"}), "methods.mine.transfer", "is not one of"),
        (changed("methods/kl", {"beta": 1.5}), "methods.kl.beta", "maximum"),
        (changed("distillation/T", 0), "distillation.T", "less than or equal to the minimum"),
        (changed("data/name", "mnist"), "data.name", "is not one of"),
        (changed("data", {"name": "cifar10", "root": "/no/such/folder"}), "data.root", "folder not found"),
        (changed("data", {"name": "imagefolder"}), "data.root", "needs a local folder"),
        (changed("teacher/pretrained_file", "/no/such/weights.safetensors"), "teacher.pretrained_file", "not found"),
        (changed("seeds", [0, 0]), "seeds", "non-unique"),
        (changed("teacher/seed", 0), "teacher.seed", "teacher.seeds replaced it"),
        (changed("teacher/seeds", [0, 0]), "teacher.seeds", "non-unique"),
        (changed("teacher/seeds", []), "teacher.seeds", "non-empty"),
        (changed("teacher/seeds", 0), "teacher.seeds", "not of type 'array'"),
        (changed("student/seeds", [0]), "student.seeds", "unknown key"),
        (changed("teacher/epochs", "ten"), "teacher.epochs", "not of type"),
        (changed("methods/ce", {"divergence": "renyi"}), "methods.ce.divergence", "contradicts"),
        (changed("methods/renyi-ainf", None), "methods.renyi-ainf.scaling", "identically zero"),
        (changed("methods/renyi-a0", {"scaling": "hinton"}), "methods.renyi-a0.scaling", "identically zero"),
        (changed("tuning/seed", 1), "tuning.seed", "also a final seed"),
    ],
)
def test_bad_config_names_the_key(config: dict, key: str, words: str) -> None:
    with pytest.raises(ConfigError) as error:
        validate_config(config)
    assert error.value.key == key
    assert f"config key '{key}'" in str(error.value)
    assert words in str(error.value)


def test_missing_required_section_is_named() -> None:
    config = copy.deepcopy(DEFAULT)
    del config["student"]
    with pytest.raises(ConfigError, match="config key 'student': is required"):
        validate_config(config)


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="nope.yaml"):
        load_config(tmp_path / "nope.yaml")


def test_methods_are_data() -> None:
    config = validate_config(changed("methods", {"ce": None, "kl": None, "renyi-a0": None,
                                                 "renyi-ainf": {"scaling": "hinton"},
                                                 "renyi-a2": {"beta": 0.5, "scaling": "hinton"}}))
    ce = method_from_config(config, "ce")
    assert not ce.uses_teacher and ce.loss_params()["beta"] == 0.0
    kl = method_from_config(config, "kl")
    assert kl.alpha == 1.0 and kl.beta == 0.7 and kl.T == 4.0 and kl.scaling == "thesis"
    assert method_from_config(config, "renyi-a0").alpha == 0.0
    assert math.isinf(method_from_config(config, "renyi-ainf").alpha)
    renyi = method_from_config(config, "renyi-a2")
    assert renyi.loss_params(beta=0.9, T=2.0) == {
        "beta": 0.9, "temperature": 2.0, "scaling": "hinton", "divergence": "renyi", "alpha": 2.0,
        "standardize": False, "label_smoothing": 0.0,
    }


def test_any_registered_family_is_a_method_under_a_free_name() -> None:
    config = validate_config(changed("methods", {
        "ce": None, "kl": None,
        "ce-ls": {"divergence": None, "tune": ["label_smoothing"]},
        "ce-all": {"divergence": None, "transfer": "train"},
        "js": {"divergence": "js", "lam": 0.3},
        "ab": {"divergence": "alpha_beta", "tune": ["ab_alpha", "ab_beta"]},
        "kl-std": {"divergence": "kl", "standardize": True},
        "renyi-a2-hinton": {"divergence": "renyi", "alpha": 2, "scaling": "hinton"},
    }))
    js = method_from_config(config, "js")
    assert js.params == {"lam": 0.3} and js.scaling == "hinton" and js.alpha is None
    assert js.loss_params(beta=0.5, T=3.0)["lam"] == 0.3
    ab = method_from_config(config, "ab")
    assert set(ab.tune) == {"ab_alpha", "ab_beta"} and ab.loss_params(ab_alpha=0.9)["ab_alpha"] == 0.9
    assert method_from_config(config, "ce-ls").tune == {"label_smoothing": {"low": 0.0, "high": 0.3, "log": False}}
    assert method_from_config(config, "ce-all").transfer == "train"
    assert method_from_config(config, "kl-std").loss_params()["standardize"] is True
    assert method_from_config(config, "renyi-a2-hinton").alpha == 2.0
