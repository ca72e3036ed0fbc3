"""The tiny end-to-end config, shared by tests/test_workflow.py and the SLURM test (tests/cluster/).

Usage: tiny_config.py EXPERIMENT OUT.yaml [KEY=YAML_VALUE ...]   (KEY dotted, e.g. tuning.n_trials=6)
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
METHODS = ["ce", "kl", "renyi-a0.5"]
SEEDS = [0, 1]


def tiny_config(experiment: str) -> dict:
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    config["experiment"] = experiment
    config["data"].update(image_size=16, transfer_size=40)
    config["teacher"].update(model="test_resnet", epochs=2, seeds=[0])
    config["student"].update(epochs=2)
    config["methods"] = {name: None for name in METHODS}
    config["seeds"] = SEEDS
    config["tuning"].update(n_trials=2, epochs=2)
    config["tuning"]["sampler"]["n_startup_trials"] = 1
    return config


def main(argv: list[str]) -> None:
    experiment, out, *overrides = argv
    config = tiny_config(experiment)
    for item in overrides:
        key, value = item.split("=", 1)
        *parents, last = key.split(".")
        node = config
        for part in parents:
            node = node[part]
        node[last] = yaml.safe_load(value)
    Path(out).write_text(yaml.safe_dump(config, sort_keys=False))


if __name__ == "__main__":
    main(sys.argv[1:])
