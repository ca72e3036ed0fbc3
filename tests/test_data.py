"""Datasets, splits, split plans, fingerprints and loaders, on digits and on tiny CIFAR / image-folder fixtures."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from sklearn.datasets import load_digits

from renyi_kd.data import (
    DATASETS,
    Census,
    ImageData,
    IndexedSubset,
    SplitSizeError,
    fingerprint,
    load_dataset,
    load_splits,
    make_loader,
    make_splits,
    plan_splits,
    save_splits,
    split_sizes,
)
from renyi_kd.data import split_plan

CIFAR10_NAMES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
CIFAR10_PARTS = [*(f"data_batch_{i}" for i in range(1, 6)), "test_batch"]
CIFAR10_MEAN, CIFAR10_STD = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)


def dump_like_official(path: Path, content: dict) -> None:
    """Pickle as the official archives are: protocol 2, with numpy 1's module path for arrays."""
    raw = pickle.dumps(content, protocol=2).replace(b"numpy._core.multiarray", b"numpy.core.multiarray")
    path.write_bytes(raw)


def write_cifar10(folder: Path, per_part: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A tiny CIFAR-10 archive folder; returns all pixels [N, 3072] and labels [N] in pool order."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True)
    pixels, labels = [], []
    for part in CIFAR10_PARTS:
        data = rng.integers(0, 256, size=(per_part, 3072), dtype=np.uint8)
        part_labels = rng.integers(0, 10, size=per_part).tolist()
        dump_like_official(
            folder / part,
            {b"batch_label": part.encode(), b"labels": part_labels, b"data": data, b"filenames": [b"x.png"] * per_part},
        )
        pixels.append(data)
        labels += part_labels
    dump_like_official(folder / "batches.meta", {b"label_names": [n.encode() for n in CIFAR10_NAMES]})
    return np.concatenate(pixels), np.array(labels)


def write_cifar100(folder: Path, per_part: int = 4, seed: int = 0) -> np.ndarray:
    """A tiny CIFAR-100 archive folder (Python 3 pickles); returns the fine labels in pool order."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True)
    labels = []
    for part in ("train", "test"):
        fine = rng.integers(0, 100, size=per_part).tolist()
        content = {
            b"data": rng.integers(0, 256, size=(per_part, 3072), dtype=np.uint8),
            b"fine_labels": fine,
            b"coarse_labels": [f // 5 for f in fine],
        }
        (folder / part).write_bytes(pickle.dumps(content))
        labels += fine
    meta = {b"fine_label_names": [f"c{i:02d}".encode() for i in range(100)], b"coarse_label_names": []}
    (folder / "meta").write_bytes(pickle.dumps(meta))
    return np.array(labels)


def write_image_tree(root: Path, per_class: int = 2) -> None:
    """Three classes, ``per_class`` PNGs each, in different sizes and modes, plus a file that is no image."""
    rng = np.random.default_rng(0)
    for name, (w, h) in {"emu": (20, 12), "cat": (40, 40), "dog": (7, 9)}.items():
        (root / name).mkdir(parents=True)
        for k in range(per_class):
            Image.fromarray(rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8)).save(root / name / f"{k}.png")
    Image.fromarray(rng.integers(0, 256, size=(9, 7), dtype=np.uint8), mode="L").save(root / "dog" / "grey.png")
    (root / "cat" / "notes.txt").write_text("not an image")


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits")


# --- every registered dataset ------------------------------------------------------------------------------------


def tiny_cifar10(folder: Path) -> Path:
    write_cifar10(folder / "cifar-10-batches-py")
    return folder


def tiny_cifar100(folder: Path) -> Path:
    write_cifar100(folder / "cifar-100-python")
    return folder


def tiny_imagefolder(folder: Path) -> Path:
    write_image_tree(folder / "train", per_class=2)
    write_image_tree(folder / "test", per_class=1)
    return folder


# Tiny files of every registered dataset, written by the tests: name -> writer(folder) -> data.root (None: the
# dataset needs no folder). A new dataset adds its writer here, and every test below runs its loader.
def tiny_fashion_mnist(folder: Path) -> Path:
    from renyi_kd.data.idx import write_idx
    from renyi_kd.data.loaders.fashion_mnist import FILES

    rng = np.random.default_rng(0)
    for (images, labels), count in zip(FILES, (30, 10)):
        write_idx(folder / images, rng.integers(0, 256, size=(count, 28, 28)))
        write_idx(folder / labels, np.arange(count) % 10)
    return folder


TINY_FILES: dict[str, Callable[[Path], Path | None]] = {
    "digits": lambda folder: None,
    "fashion_mnist": tiny_fashion_mnist,
    "cifar10": tiny_cifar10,
    "cifar100": tiny_cifar100,
    "imagefolder": tiny_imagefolder,
}


def test_every_registered_dataset_has_tiny_files() -> None:
    assert set(TINY_FILES) == set(DATASETS)


@pytest.mark.parametrize("name", list(TINY_FILES))
def test_every_dataset_loads_as_its_record_says(tmp_path: Path, name: str) -> None:
    record = DATASETS[name]
    root = TINY_FILES[name](tmp_path)
    data = load_dataset(name, root=root)
    census = record.sizes(root)
    assert (data.name, data.in_chans, data.image_size) == (name, record.in_chans, record.image_size)
    assert data.num_classes == census.num_classes and (data.official_test is None) == (census.official_test is None)
    x, y = data[len(data) - 1]
    assert x.shape == (record.in_chans, record.image_size, record.image_size) and x.dtype == torch.float32
    assert 0 <= y < data.num_classes
    small = load_dataset(name, root=root, image_size=12)
    assert small[0][0].shape == (record.in_chans, 12, 12)
    assert fingerprint(load_dataset(name, root=root)) == fingerprint(data) != fingerprint(small)


@pytest.mark.parametrize("name", [n for n, record in DATASETS.items() if record.needs_root and not record.default_root])
def test_a_dataset_without_a_default_folder_asks_for_one(name: str) -> None:
    with pytest.raises(ValueError, match="data.root"):
        load_dataset(name)


def test_the_config_schema_lists_the_registry() -> None:
    from renyi_kd.config import load_schema

    assert load_schema()["properties"]["data"]["properties"]["name"]["enum"] == list(DATASETS)


# --- datasets --------------------------------------------------------------------------------------------------


def test_digits_pool(digits) -> None:
    assert (len(digits), digits.num_classes, digits.in_chans, digits.image_size) == (1797, 10, 1, 32)
    assert digits.classes == [str(i) for i in range(10)]
    assert digits.targets.dtype == np.int64 and not digits.targets.flags.writeable
    x, y = digits[5]
    assert x.shape == (1, 32, 32) and x.dtype == torch.float32
    assert y == digits.targets[5] == load_digits().target[5]
    xs = torch.stack([digits[i][0] for i in range(0, 1797, 50)])
    assert xs.min() >= -1 and xs.max() <= 1
    assert xs.min() == -1 and xs.max() > 0.5


def test_digits_image_size() -> None:
    assert load_dataset("digits", image_size=16)[0][0].shape == (1, 16, 16)
    native = load_dataset("digits", image_size=8)
    expected = (torch.from_numpy(load_digits().images[3]).float() / 16 - 0.5) / 0.5
    torch.testing.assert_close(native[3][0][0], expected)


@pytest.mark.parametrize("point_at", ["parent", "folder"])
def test_cifar10_pool_from_either_root(tmp_path: Path, point_at: str) -> None:
    pixels, labels = write_cifar10(tmp_path / "cifar-10-batches-py")
    root = tmp_path if point_at == "parent" else tmp_path / "cifar-10-batches-py"
    data = load_dataset("cifar10", root=root)
    assert (len(data), data.in_chans, data.classes) == (18, 3, CIFAR10_NAMES)
    np.testing.assert_array_equal(data.targets, labels)
    i = 13  # in data_batch_5: the pool keeps the official order, train parts first
    x, y = data[i]
    mean, std = torch.tensor(CIFAR10_MEAN).view(3, 1, 1), torch.tensor(CIFAR10_STD).view(3, 1, 1)
    expected = (torch.from_numpy(pixels[i]).view(3, 32, 32).float() / 255 - mean) / std
    assert y == labels[i]
    torch.testing.assert_close(x, expected)


def test_cifar_official_test_part(tmp_path: Path) -> None:
    _, labels = write_cifar10(tmp_path / "cifar-10-batches-py", per_part=3)
    data = load_dataset("cifar10", root=tmp_path)
    assert data.official_test == 3  # test_batch: the last part, after the five train batches
    np.testing.assert_array_equal(data.targets[-3:], labels[-3:])


def test_cifar100_pool_and_resize(tmp_path: Path) -> None:
    labels = write_cifar100(tmp_path / "cifar-100-python")
    data = load_dataset("cifar100", root=tmp_path, image_size=16)
    assert (len(data), data.num_classes, data.classes[7]) == (8, 100, "c07")
    np.testing.assert_array_equal(data.targets, labels)
    assert data[6][0].shape == (3, 16, 16)
    assert load_dataset("cifar100", root=tmp_path / "cifar-100-python")[0][0].shape == (3, 32, 32)


@pytest.mark.parametrize("name", ["cifar10", "cifar100"])
def test_cifar_missing_folder(tmp_path: Path, name: str) -> None:
    with pytest.raises(FileNotFoundError, match="data.download") as info:
        load_dataset(name, root=tmp_path / "nowhere")
    assert str(tmp_path / "nowhere") in str(info.value)


def test_cifar_archive_refuses_foreign_code(tmp_path: Path) -> None:
    write_cifar10(tmp_path / "cifar-10-batches-py")

    class Payload:
        def __reduce__(self):
            return (os.getcwd, ())

    (tmp_path / "cifar-10-batches-py" / "test_batch").write_bytes(pickle.dumps({b"data": Payload()}))
    with pytest.raises(pickle.UnpicklingError, match="posix.getcwd|nt.getcwd"):
        load_dataset("cifar10", root=tmp_path)


def test_unknown_name_and_missing_root(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="'mnist'.*digits, "):
        load_dataset("mnist")
    with pytest.raises(FileNotFoundError, match="nowhere"):
        load_dataset("imagefolder", root=tmp_path / "nowhere")
    with pytest.raises(ValueError, match="data.root"):
        load_dataset("cifar10")


def test_imagefolder(tmp_path: Path) -> None:
    write_image_tree(tmp_path / "images")
    data = load_dataset("imagefolder", root=tmp_path / "images", image_size=24)
    assert data.classes == ["cat", "dog", "emu"] and data.in_chans == 3
    np.testing.assert_array_equal(data.targets, [0, 0, 1, 1, 1, 2, 2])
    for i in range(len(data)):
        x, y = data[i]
        assert x.shape == (3, 24, 24) and x.dtype == torch.float32 and y == data.targets[i]
    assert load_dataset("imagefolder", root=tmp_path / "images")[0][0].shape == (3, 224, 224)
    assert data.official_test is None


def test_imagefolder_train_and_test_folders(tmp_path: Path) -> None:
    write_image_tree(tmp_path / "images" / "train", per_class=3)
    write_image_tree(tmp_path / "images" / "test", per_class=1)
    (tmp_path / "images" / "extra").mkdir()  # beside train/ and test/: not read
    data = load_dataset("imagefolder", root=tmp_path / "images", image_size=8)
    assert data.classes == ["cat", "dog", "emu"] and data.official_test == 4
    np.testing.assert_array_equal(data.targets, [0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 0, 1, 1, 2])
    assert data.images.files[0] == "train/cat/0.png" and data.images.files[-1] == "test/emu/0.png"
    assert data[13][0].shape == (3, 8, 8)

    shutil.rmtree(tmp_path / "images" / "test" / "emu")
    with pytest.raises(SplitSizeError, match="class folders") as info:
        load_dataset("imagefolder", root=tmp_path / "images")
    assert info.value.key == "data.root"


# --- splits ----------------------------------------------------------------------------------------------------


def imbalanced_targets() -> np.ndarray:
    return np.repeat(np.arange(4), [300, 180, 90, 30])


def test_splits_partition_and_stratify() -> None:
    y = imbalanced_targets()
    splits = make_splits(y, val_fraction=0.2, test_fraction=0.1, transfer_size=40, seed=3)
    train, val, test = (set(splits[k]) for k in ("train", "val", "test"))
    assert (len(val), len(test), len(train)) == (120, 60, 420)
    assert not (train & val or train & test or val & test)
    assert train | val | test == set(range(len(y)))
    assert all(splits[k] == sorted(splits[k]) for k in splits)
    overall = np.bincount(y) / len(y)
    for part in ("train", "val", "test", "transfer"):
        share = np.bincount(y[splits[part]], minlength=4) / len(splits[part])
        np.testing.assert_allclose(share, overall, atol=0.03)
    assert len(splits["transfer"]) == 40 and set(splits["transfer"]) <= train


def test_splits_are_seeded() -> None:
    y = imbalanced_targets()
    kwargs = dict(val_fraction=0.2, test_fraction=0.1, transfer_size=40)
    assert make_splits(y, seed=1, **kwargs) == make_splits(y, seed=1, **kwargs)
    other = make_splits(y, seed=2, **kwargs)
    mine = make_splits(y, seed=1, **kwargs)
    assert all(other[k] != mine[k] for k in mine)


def test_transfer_covers_every_class() -> None:
    y = np.repeat(np.arange(3), [1000, 1000, 12])
    splits = make_splits(y, val_fraction=0.1, test_fraction=0.1, transfer_size=3, seed=0)
    assert sorted(y[splits["transfer"]]) == [0, 1, 2]
    everything = make_splits(y, val_fraction=0.1, test_fraction=0.1, transfer_size=None, seed=0)
    assert everything["transfer"] == everything["train"]


# The default digits splits before official splits existed, pinned: they must not move for a pooled dataset.
DIGITS_SPLIT_DIGESTS = {
    (0.15, 0.25, 200, 0): "17e7e136bfbd8337f6b99fb84f504621a13849e4840e7e78edf136447cc5dbf5",
    (0.2, 0.2, 120, 0): "8626a1aed1895e40f85a7a7af52f50bf413e6a9276a3d7d15b77279a88ff366d",
    (0.15, 0.25, None, 3): "5f14f7f5d3ea10e44a42af3b58f0498a91c9c5bfc483ac82b18cb113facd3219",
}


@pytest.mark.parametrize("arguments", list(DIGITS_SPLIT_DIGESTS))
def test_digits_splits_are_unchanged(digits, arguments: tuple) -> None:
    val, test, transfer, seed = arguments
    splits = make_splits(digits.targets, val_fraction=val, test_fraction=test, transfer_size=transfer, seed=seed)
    assert hashlib.sha256(json.dumps(splits, sort_keys=True).encode()).hexdigest() == DIGITS_SPLIT_DIGESTS[arguments]


def test_official_test_part_is_the_test_split() -> None:
    rng = np.random.default_rng(0)
    y = np.concatenate([np.repeat(np.arange(5), [80, 60, 40, 20, 10]), rng.integers(0, 5, size=50)])
    splits = make_splits(y, val_fraction=0.1, test_fraction=0.4, transfer_size=30, seed=2, official_test=50)
    assert splits["test"] == list(range(210, 260))  # test_fraction is not used
    train, val = set(splits["train"]), set(splits["val"])
    assert len(val) == 21 and len(train) == 189 and train | val == set(range(210)) and not train & val
    np.testing.assert_array_equal(np.bincount(y[splits["val"]]), [8, 6, 4, 2, 1])  # stratified over the train part
    assert len(splits["transfer"]) == 30 and set(splits["transfer"]) <= train
    again = make_splits(y, val_fraction=0.1, test_fraction=0.4, transfer_size=30, seed=2, official_test=50)
    other = make_splits(y, val_fraction=0.1, test_fraction=0.4, transfer_size=30, seed=3, official_test=50)
    assert again == splits and other["val"] != splits["val"] and other["test"] == splits["test"]


def test_cifar_splits_keep_the_official_test_part(tmp_path: Path) -> None:
    write_cifar10(tmp_path / "cifar-10-batches-py", per_part=40)
    data = load_dataset("cifar10", root=tmp_path)
    splits = make_splits(
        data.targets, val_fraction=0.1, test_fraction=0.25, transfer_size=None, seed=0, official_test=data.official_test
    )
    assert splits["test"] == list(range(200, 240)) and len(splits["val"]) == 20 and len(splits["train"]) == 180


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        (dict(val_fraction=0.0), "val_fraction"),
        (dict(val_fraction=1.5), "val_fraction"),
        (dict(test_fraction=-0.1), "test_fraction"),
        (dict(val_fraction=0.6, test_fraction=0.4), r"val_fraction \+ test_fraction"),
        (dict(val_fraction=0.002), "val_fraction"),
        (dict(transfer_size=0), "transfer_size"),
        (dict(transfer_size=10_000), "transfer_size"),
        (dict(seed=-1), "seed"),
    ],
)
def test_splits_bad_arguments(kwargs: dict, argument: str) -> None:
    arguments = dict(val_fraction=0.2, test_fraction=0.1, transfer_size=40, seed=0) | kwargs
    with pytest.raises(ValueError, match=argument):
        make_splits(imbalanced_targets(), **arguments)


def test_splits_bad_official_test_part() -> None:
    arguments = dict(val_fraction=0.2, test_fraction=0.1, transfer_size=None, seed=0)
    with pytest.raises(ValueError, match="official_test"):
        make_splits(imbalanced_targets(), official_test=600, **arguments)
    with pytest.raises(SplitSizeError, match="leaves 1 of the 12 items") as info:
        make_splits(np.tile(np.arange(4), 5), official_test=8, **(arguments | {"val_fraction": 0.9}))
    assert info.value.key == "data.val_fraction"


# --- split plans from the config alone ---------------------------------------------------------------------------


def data_config(**changes) -> dict:
    return dict(name="digits", root=None, val_fraction=0.15, test_fraction=0.25, transfer_size=200) | changes


def test_plan_matches_the_splits_made(digits) -> None:
    plan = plan_splits(data_config())
    splits = make_splits(digits.targets, val_fraction=0.15, test_fraction=0.25, transfer_size=200, seed=0)
    assert (plan.train, plan.val, plan.test, plan.transfer) == tuple(len(splits[k]) for k in ("train", "val", "test", "transfer"))
    assert not plan.official_test and "test 449 (drawn from the pool)" in plan.describe()


@pytest.mark.parametrize("name", ["cifar10", "cifar100"])
def test_plan_of_cifar_uses_the_official_parts(name: str) -> None:
    plan = plan_splits(data_config(name=name, root="/nowhere", val_fraction=0.1, transfer_size=None))
    assert (plan.train, plan.val, plan.test, plan.transfer, plan.official_test) == (45000, 5000, 10000, 45000, True)


@pytest.mark.parametrize(
    ("changes", "key", "words"),
    [
        (dict(val_fraction=0.9), "data.val_fraction", "leaves 0 of 1797 items for train (val 1617, test 449)"),
        (dict(transfer_size=100000), "data.transfer_size", "1 to the 1078 items of train"),
        (dict(name="cifar100", transfer_size=100000), "data.transfer_size", "1 to the 42500 items of train"),
        (dict(name="cifar100", val_fraction=0.9999), "data.val_fraction", "leaves 5 of the 50000 items"),
        (dict(name="cifar100", val_fraction=0.001), "data.val_fraction", "val 50 of 50000 items, fewer than the 100"),
        (dict(test_fraction=0.001), "data.test_fraction", "test 2 of 1797 items, fewer than the 10 classes"),
        (dict(transfer_size=0), "data.transfer_size", "got 0"),
        (dict(val_fraction=1.5), "data.val_fraction", "in (0, 1)"),
    ],
)
def test_plan_names_the_key(changes: dict, key: str, words: str) -> None:
    with pytest.raises(SplitSizeError) as info:
        plan_splits(data_config(**changes))
    assert info.value.key == key and words in str(info.value)


@pytest.mark.parametrize("layout", ["pool", "train_test"])
def test_plan_counts_image_folders_like_the_loader(tmp_path: Path, layout: str) -> None:
    root = tmp_path / "images"
    for part, per_class in ({"": 12} if layout == "pool" else {"train": 10, "test": 4}).items():
        write_image_tree(root / part, per_class=per_class)
    data = load_dataset("imagefolder", root=root, image_size=8)
    sizes = split_plan.census(data_config(name="imagefolder", root=str(root)))
    assert (sizes.pool + (sizes.official_test or 0), sizes.official_test, sizes.num_classes) == (
        len(data), data.official_test, data.num_classes
    )
    plan = plan_splits(data_config(name="imagefolder", root=str(root), val_fraction=0.2, transfer_size=None))
    splits = make_splits(data.targets, val_fraction=0.2, test_fraction=0.25, transfer_size=None, seed=0,
                         official_test=data.official_test)
    assert (plan.train, plan.val, plan.test) == tuple(len(splits[k]) for k in ("train", "val", "test"))


def test_census_of_a_registered_and_an_unknown_dataset() -> None:
    assert split_plan.census(data_config()) == Census(1797, None, 10)
    with pytest.raises(SplitSizeError, match="mnist"):
        split_plan.census(data_config(name="mnist"))
    with pytest.raises(SplitSizeError, match="needs a root folder") as info:  # no folder to count the images in
        split_plan.census(data_config(name="imagefolder"))
    assert info.value.key == "data.root"


def test_split_sizes_without_a_transfer_size() -> None:
    sizes = split_sizes(Census(100, 20, 4), val_fraction=0.25, test_fraction=0.9, transfer_size=None)
    assert (sizes.train, sizes.val, sizes.test, sizes.transfer) == (75, 25, 20, 75)


def test_registry_and_split_plan_need_no_torch() -> None:
    """The config validation reads them before any job: they must not pay for importing torch or numpy."""
    code = (
        "import sys\n"
        "from renyi_kd.data import DATASETS, plan_splits\n"
        "config = dict(name='digits', root=None, val_fraction=0.15, test_fraction=0.25, transfer_size=None)\n"
        "assert plan_splits(config).train\n"
        "assert [record.sizes(None) for record in DATASETS.values() if not record.needs_root]\n"
        "assert 'torch' not in sys.modules and 'numpy' not in sys.modules, sorted(sys.modules)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --- fingerprints and split files -------------------------------------------------------------------------


# The digits fingerprint pinned: equal in every process and on every machine (the 8 -> 32 px resize is exact in
# float32). Change it only with a deliberate change of what the fingerprint covers: old splits then refuse to load.
DIGITS_FINGERPRINT = "087d83835e9f85f2619d8b4ee290d24b3d023d4bc131a999f53b86a56c3aa730"


def test_fingerprint_is_stable_across_loads_and_processes(digits) -> None:
    assert fingerprint(digits) == fingerprint(load_dataset("digits")) == DIGITS_FINGERPRINT
    assert fingerprint(load_dataset("digits", image_size=16)) != DIGITS_FINGERPRINT


def test_fingerprint_sees_one_pixel_and_one_label(tmp_path: Path) -> None:
    folder = tmp_path / "cifar-10-batches-py"
    write_cifar10(folder)
    before = fingerprint(load_dataset("cifar10", root=tmp_path))
    batch = pickle.loads((folder / "data_batch_3").read_bytes())

    batch[b"data"][1, 77] ^= 1
    dump_like_official(folder / "data_batch_3", batch)
    changed_pixel = fingerprint(load_dataset("cifar10", root=tmp_path))

    batch[b"data"][1, 77] ^= 1
    batch[b"labels"][2] = (batch[b"labels"][2] + 1) % 10
    dump_like_official(folder / "data_batch_3", batch)
    changed_label = fingerprint(load_dataset("cifar10", root=tmp_path))
    assert len({before, changed_pixel, changed_label}) == 3


def test_imagefolder_fingerprint_follows_files_not_location(tmp_path: Path) -> None:
    write_image_tree(tmp_path / "a")
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    before = fingerprint(load_dataset("imagefolder", root=tmp_path / "a"))
    assert fingerprint(load_dataset("imagefolder", root=tmp_path / "b")) == before
    Image.new("RGB", (5, 5), "red").save(tmp_path / "b" / "cat" / "1.png")
    assert fingerprint(load_dataset("imagefolder", root=tmp_path / "b")) != before


def test_fingerprint_sees_the_official_split(digits) -> None:
    as_official = ImageData(
        name=digits.name, images=digits.images, targets=digits.targets, classes=digits.classes,
        in_chans=digits.in_chans, image_size=digits.image_size, official_test=297,
    )
    assert fingerprint(as_official) != fingerprint(digits) == DIGITS_FINGERPRINT


def test_splits_file_round_trip(tmp_path: Path) -> None:
    splits = make_splits(imbalanced_targets(), val_fraction=0.2, test_fraction=0.1, transfer_size=40, seed=0)
    path = tmp_path / "data" / "splits.json"
    save_splits(path, splits, data_fingerprint="abc123", meta={"dataset": "toy", "seed": 0})
    assert load_splits(path, expected_fingerprint="abc123") == splits
    assert load_splits(path) == splits
    stored = json.loads(path.read_text())
    assert stored["data_fingerprint"] == "abc123" and stored["meta"] == {"dataset": "toy", "seed": 0}
    assert stored["official_test"] is None and stored["drawn_from"]["test"] == "pool"
    assert [p.name for p in path.parent.iterdir()] == ["splits.json"]


def test_splits_file_records_the_official_parts(tmp_path: Path) -> None:
    splits = make_splits(imbalanced_targets(), val_fraction=0.2, test_fraction=0.1, transfer_size=40, seed=0,
                         official_test=100)
    save_splits(tmp_path / "splits.json", splits, data_fingerprint="abc", meta={}, official_test=100)
    stored = json.loads((tmp_path / "splits.json").read_text())
    assert stored["official_test"] == 100
    assert stored["drawn_from"] == {
        "train": "official train part", "val": "official train part", "test": "official test part", "transfer": "train"
    }


def test_splits_file_refuses_other_data(tmp_path: Path) -> None:
    path = tmp_path / "splits.json"
    splits = {"train": [0, 1], "val": [2], "test": [3], "transfer": [1]}
    save_splits(path, splits, data_fingerprint="aaaa", meta={})
    with pytest.raises(ValueError) as info:
        load_splits(path, expected_fingerprint="bbbb")
    message = str(info.value)
    assert all(part in message for part in (str(path), "aaaa", "bbbb", "prepare_data"))


# --- loaders ---------------------------------------------------------------------------------------------------


def loader_order(digits, indices: list[int], **kwargs) -> list[int]:
    return [i for _, _, idx in make_loader(digits, indices, batch_size=16, **kwargs) for i in idx.tolist()]


def test_loader_order_is_a_function_of_seed_and_epoch(digits) -> None:
    indices = list(range(100, 300, 2))
    first = loader_order(digits, indices, shuffle=True, seed=7, epoch=3)
    assert sorted(first) == indices
    assert loader_order(digits, indices, shuffle=True, seed=7, epoch=3) == first
    assert loader_order(digits, indices, shuffle=True, seed=7, epoch=4) != first
    assert loader_order(digits, indices, shuffle=True, seed=8, epoch=3) != first
    assert loader_order(digits, indices, shuffle=False, seed=7, epoch=3) == indices


def test_loader_items_carry_dataset_indices(digits) -> None:
    x, y, idx = next(iter(make_loader(digits, [10, 500, 1796], batch_size=3, shuffle=False, seed=0)))
    assert idx.tolist() == [10, 500, 1796] and x.shape == (3, 1, 32, 32)
    assert y.tolist() == digits.targets[[10, 500, 1796]].tolist()
    torch.testing.assert_close(x[1], digits[500][0])
    assert IndexedSubset(digits, [4, 2])[1][2] == 2
    with pytest.raises(IndexError):
        IndexedSubset(digits, [1797])


def test_digits_are_read_as_scikit_learn_reads_them() -> None:
    from renyi_kd.data.loaders.digits import digits_arrays

    images, targets = digits_arrays()
    bunch = load_digits()
    np.testing.assert_array_equal(images, bunch.images)
    np.testing.assert_array_equal(targets, bunch.target)
    assert targets.dtype == np.int64
