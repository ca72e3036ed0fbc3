"""The synthetic CIFAR-100 archive (renyi_kd.data.synthetic) read as CIFAR-100: the official parts become the splits,
augmentation is deterministic, and the classes are learnable."""

from __future__ import annotations

import hashlib
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from renyi_kd.data.augment import AugmentPolicy
from renyi_kd.data import load_dataset, make_splits
from renyi_kd.data.device_batches import batch_source
from renyi_kd.data.synthetic import COARSE_CLASSES, FINE_CLASSES, FOLDER, write_synthetic_cifar100

TRAIN, TEST = 10, 2  # images per class in the official train and test parts


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_synthetic_cifar100(tmp_path_factory.mktemp("synthetic"), train_per_class=TRAIN, test_per_class=TEST)


def read_part(archive: Path, part: str) -> dict:
    with open(archive / part, "rb") as handle:
        return pickle.load(handle)


def digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_the_archive_has_the_official_layout(archive: Path) -> None:
    assert {p.name for p in archive.iterdir()} >= {"train", "test", "meta"} and archive.name == FOLDER
    for part, per_class in (("train", TRAIN), ("test", TEST)):
        content = read_part(archive, part)
        assert content["data"].dtype == np.uint8 and content["data"].shape == (FINE_CLASSES * per_class, 3072)
        assert np.bincount(content["fine_labels"]).tolist() == [per_class] * FINE_CLASSES
        assert content["coarse_labels"] == [label % COARSE_CLASSES for label in content["fine_labels"]]
    assert len(read_part(archive, "meta")["fine_label_names"]) == FINE_CLASSES


def test_the_test_split_is_the_official_test_part(archive: Path) -> None:
    data = load_dataset("cifar100", root=archive.parent)
    n_train, n_test = FINE_CLASSES * TRAIN, FINE_CLASSES * TEST
    assert len(data) == n_train + n_test and data.official_test == n_test
    assert data.targets[n_train:].tolist() == read_part(archive, "test")["fine_labels"]
    splits = make_splits(data.targets, val_fraction=0.1, test_fraction=0.25, transfer_size=300, seed=0,
                         official_test=data.official_test)
    assert splits["test"] == list(range(n_train, n_train + n_test))
    assert sorted(splits["train"] + splits["val"]) == list(range(n_train))  # both from the official train part
    assert set(splits["transfer"]) <= set(splits["train"]) and len(splits["transfer"]) == 300
    assert np.bincount(data.targets[splits["val"]]).tolist() == [1] * FINE_CLASSES  # stratified: one per class


def test_augmented_batches_are_deterministic(archive: Path) -> None:
    data = load_dataset("cifar100", root=archive.parent)
    source, policy = batch_source(data, "cpu"), AugmentPolicy("cifar")

    def images(batch_size: int, epoch: int) -> dict[int, torch.Tensor]:
        batches = source.batches(range(500), batch_size=batch_size, shuffle=True, seed=3, epoch=epoch, augment=policy)
        return {int(i): image for x, _, idx in batches for i, image in zip(idx, x)}

    first, again = images(64, epoch=2), images(37, epoch=2)  # other batches, same (seed, epoch, image): same pixels
    assert first.keys() == again.keys() and all(torch.equal(first[i], again[i]) for i in first)
    unaugmented = {int(i): image for x, _, idx in source.batches(range(500), batch_size=64, shuffle=False, seed=3)
                   for i, image in zip(idx, x)}
    changed = sum(not torch.equal(first[i], unaugmented[i]) for i in first)
    assert changed > 400  # a crop offset of (4, 4) without a flip is 1 draw in 162
    next_epoch = images(64, epoch=3)
    assert sum(not torch.equal(first[i], next_epoch[i]) for i in first) > 400


def test_the_classes_are_learnable(archive: Path) -> None:
    """Nearest class mean of the train part classifies most test images, also flipped (chance is 1 %)."""
    train, test = read_part(archive, "train"), read_part(archive, "test")
    pixels = train["data"].reshape(-1, 3, 32, 32).astype(np.float64)
    means = np.stack([pixels[np.asarray(train["fine_labels"]) == c].mean(axis=0) for c in range(FINE_CLASSES)])
    images = test["data"].reshape(-1, 3, 32, 32).astype(np.float64)
    for shown in (images, images[..., ::-1]):
        distances = ((shown[:, None] - means[None]) ** 2).sum(axis=(2, 3, 4))
        accuracy = (distances.argmin(axis=1) == np.asarray(test["fine_labels"])).mean()
        assert accuracy > 0.9


def test_the_same_arguments_write_the_same_bytes_once(tmp_path: Path, archive: Path) -> None:
    written = write_synthetic_cifar100(tmp_path, train_per_class=TRAIN, test_per_class=TEST)
    assert digests(written) == digests(archive)  # the same on every machine: one seed draws everything
    before = {p.name: p.stat().st_mtime_ns for p in written.iterdir()}
    write_synthetic_cifar100(tmp_path, train_per_class=TRAIN, test_per_class=TEST)
    assert {p.name: p.stat().st_mtime_ns for p in written.iterdir()} == before  # kept: its fingerprint stays
    write_synthetic_cifar100(tmp_path, train_per_class=TRAIN, test_per_class=TEST, seed=1)
    assert digests(written)["train"] != digests(archive)["train"]


def test_the_command_line_writes_the_archive(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "renyi_kd.data.synthetic", str(tmp_path), "--train-per-class", "2",
                             "--test-per-class", "1"], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == str(tmp_path / FOLDER)
    assert len(load_dataset("cifar100", root=tmp_path)) == FINE_CLASSES * 3


def test_too_few_images_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least one image per class"):
        write_synthetic_cifar100(tmp_path, train_per_class=0)
