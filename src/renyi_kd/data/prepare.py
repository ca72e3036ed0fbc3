"""The prepare_data stage, and reopening a prepared experiment in later stages."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from renyi_kd.data import ImageData, fingerprint, load_dataset, load_splits, make_splits, save_splits
from renyi_kd.experiment import DataConfig
from renyi_kd.layout import Layout

log = logging.getLogger("renyi_kd.data.prepare")


def load_data(data_config: DataConfig) -> ImageData:
    return load_dataset(
        data_config.name,
        root=data_config.root,
        image_size=data_config.image_size,
        download=data_config.download,
    )


def prepare_data(data_config: DataConfig, layout: Layout) -> Path:
    """Stratified, seeded splits and transfer subset, saved with the data's fingerprint: the official test
    part is the test split where the data has one (CIFAR, ImageFolder with train/ and test/)."""
    data = load_data(data_config)
    splits = make_splits(
        data.targets,
        val_fraction=data_config.val_fraction,
        test_fraction=data_config.test_fraction,
        transfer_size=data_config.transfer_size,
        seed=data_config.split_seed,
        official_test=data.official_test,
        omit_classes=data_config.omit_classes,
    )
    meta = {"dataset": data_config.name, "classes": data.classes, "in_chans": data.in_chans}
    save_splits(layout.splits, splits, data_fingerprint=fingerprint(data), meta=meta, official_test=data.official_test)
    log.info("splits: %s", {k: len(v) for k, v in splits.items()})
    return layout.splits


@dataclass(frozen=True)
class Prepared:
    """The data of an experiment with its checked splits."""

    data: ImageData
    splits: dict[str, list[int]]
    fingerprint: str


def open_prepared(data_config: DataConfig, layout: Layout) -> Prepared:
    """Load the data and the saved splits, refusing splits that were made from other data."""
    data = load_data(data_config)
    digest = fingerprint(data)
    return Prepared(data, load_splits(layout.splits, expected_fingerprint=digest), digest)
