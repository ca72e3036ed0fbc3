"""A new dataset is one loader function and one registry record: registered here, it is a valid ``data.name`` of
the config, its split sizes are planned from the record, and it loads and splits like the built-in ones."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import numpy as np
import pytest
import torch

from renyi_kd.config import ConfigError, validate_config
from renyi_kd.data import (
    Census,
    DatasetRecord,
    ImageData,
    TensorImages,
    fingerprint,
    load_dataset,
    make_splits,
    plan_splits,
    register_dataset,
    unregister_dataset,
)
from renyi_kd.data.loaders.pixels import prepare_uint8
from tiny_config import tiny_config


def load_stripes(root, *, image_size, download):  # train part first, then the official test part
    with np.load(root / "stripes.npz") as files:
        pixels, labels, n_test = files["pixels"], files["labels"], int(files["n_test"])  # uint8 [N, 1, 8, 8]
    prepare = partial(prepare_uint8, mean=(0.5,), std=(0.5,), image_size=image_size)
    return ImageData(name="stripes", images=TensorImages(torch.from_numpy(pixels), prepare), targets=labels,
                     classes=["horizontal", "vertical", "diagonal"], in_chans=1, image_size=image_size,
                     official_test=n_test)


def write_stripes(folder: Path) -> None:
    """60 train and 20 official test images of 3 classes, as the loader above reads them."""
    rng = np.random.default_rng(0)
    labels = np.arange(80) % 3
    pixels = rng.integers(0, 256, size=(80, 1, 8, 8), dtype=np.uint8)
    np.savez(folder / "stripes.npz", pixels=pixels, labels=labels, n_test=20)


@pytest.fixture
def stripes(tmp_path: Path):
    """The toy dataset registered, its files in a default folder (as a system package's data would be)."""
    write_stripes(tmp_path)
    record = register_dataset(DatasetRecord(name="stripes", loader=load_stripes, census=Census(60, 20, 3), in_chans=1,
                                            image_size=8, default_root=str(tmp_path)))
    yield record
    unregister_dataset("stripes")


def stripes_config() -> dict:
    config = tiny_config("toy")
    config["data"] = {"name": "stripes", "val_fraction": 0.25, "transfer_size": 12}
    return config


def test_a_registered_dataset_is_a_valid_config(stripes) -> None:
    data = validate_config(stripes_config())["data"]
    assert data["name"] == "stripes" and data["root"] is None  # null: the record's default folder
    assert plan_splits(data).describe() == "train 45, val 15, test 20 (official test part), transfer 12"


def test_a_registered_dataset_loads_and_splits_as_planned(stripes) -> None:
    data = load_dataset("stripes")
    assert (len(data), data.official_test, data.num_classes, data[0][0].shape) == (80, 20, 3, (1, 8, 8))
    assert load_dataset("stripes", image_size=16)[79][0].shape == (1, 16, 16)
    splits = make_splits(data.targets, val_fraction=0.25, test_fraction=0.25, transfer_size=12, seed=0,
                         official_test=data.official_test)
    plan = plan_splits(validate_config(stripes_config())["data"])
    assert [len(splits[k]) for k in ("train", "val", "test", "transfer")] == [plan.train, plan.val, plan.test, plan.transfer]
    assert splits["test"] == list(range(60, 80))
    assert fingerprint(data) == fingerprint(load_dataset("stripes", root=stripes.default_root))


def test_an_unregistered_name_is_refused() -> None:
    with pytest.raises(ConfigError, match="data.name"):
        validate_config(stripes_config())
