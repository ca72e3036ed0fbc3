"""Split sizes from the data config alone: no pixels loaded, no torch imported, so configs are checked before any job.

A dataset's :class:`Census` is what its sizes are known by: the items of the pool that train and val are drawn from,
the items of its official test part (``None`` where it has none) and its classes. Where a dataset has an official
test part (CIFAR, an image folder with ``train/`` and ``test/``), that part is the test split and val is
``round(val_fraction * pool)`` items of the official train part; otherwise val and test are ``round(fraction * pool)``
items of one pool. The transfer set is ``transfer_size`` items of train (``None``: all of it). Every stratified
part needs at least one item per class. :func:`split_sizes` is the one place these sizes are computed:
``data.make_splits`` uses it on the loaded targets, :func:`plan_splits` on the config.
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "IMAGE_EXTENSIONS",
    "Census",
    "SplitSizes",
    "SplitSizeError",
    "CENSUS",
    "census",
    "split_sizes",
    "plan_splits",
    "imagefolder_parts",
    "imagefolder_classes",
    "class_folders",
    "is_image_file",
]

# What an image folder counts as an image, for the census here and for the loader in data.py alike.
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")
OFFICIAL_PARTS = ("train", "test")


class SplitSizeError(ValueError):
    """Split sizes that cannot be made; ``key`` is the config key to change (``data.val_fraction``, ...)."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


@dataclass(frozen=True)
class Census:
    """Sizes of a dataset known without its pixels.

    ``pool`` items are drawn into train and val (and test, when ``official_test`` is None); the
    ``official_test`` items after them are the official test part.
    """

    pool: int
    official_test: int | None
    num_classes: int


@dataclass(frozen=True)
class SplitSizes:
    """Items in each split; ``official_test``: test is the dataset's official test part."""

    train: int
    val: int
    test: int
    transfer: int
    official_test: bool

    def describe(self) -> str:
        test = "official test part" if self.official_test else "drawn from the pool"
        return f"train {self.train}, val {self.val}, test {self.test} ({test}), transfer {self.transfer}"


def is_image_file(path: str) -> bool:
    return path.lower().endswith(IMAGE_EXTENSIONS)


def imagefolder_parts(root: Path) -> dict[str, Path]:
    """``{"train": root/train, "test": root/test}`` when both sub-folders exist (the official parts), else
    ``{"pool": root}``: one folder of class sub-folders, split with ``test_fraction``."""
    parts = {name: root / name for name in OFFICIAL_PARTS}
    return parts if all(p.is_dir() for p in parts.values()) else {"pool": root}


def class_folders(folder: Path) -> list[str]:
    """Class names of an image folder: its sub-folders, sorted (the order torchvision's ImageFolder uses)."""
    return sorted(entry.name for entry in os.scandir(folder) if entry.is_dir())


def imagefolder_classes(parts: Mapping[str, Path]) -> list[str]:
    """The class names of an image folder's parts (:func:`imagefolder_parts`); ``test/`` must have ``train/``'s."""
    classes = class_folders(next(iter(parts.values())))
    if "test" in parts and class_folders(parts["test"]) != classes:
        raise SplitSizeError(
            "data.root", f"{parts['test']} must hold the class folders of {parts['train']}: {', '.join(classes)}"
        )
    return classes


def _count_images(folder: Path) -> int:
    return sum(is_image_file(name) for _, _, names in os.walk(folder, followlinks=True) for name in names)


def _imagefolder_census(data_config: Mapping[str, Any]) -> Census:
    """Image files per class folder, counted."""
    parts = imagefolder_parts(Path(data_config["root"]).expanduser())
    classes = imagefolder_classes(parts)
    pool, *official_test = (sum(_count_images(folder / c) for c in classes) for folder in parts.values())
    return Census(pool, official_test[0] if official_test else None, len(classes))


def _fixed(pool: int, official_test: int | None, num_classes: int) -> Callable[[Mapping[str, Any]], Census]:
    return lambda data_config: Census(pool, official_test, num_classes)


# Dataset name -> its census from the data config. CIFAR: the official archives' 50000 train and 10000 test images.
CENSUS: dict[str, Callable[[Mapping[str, Any]], Census]] = {
    "digits": _fixed(1797, None, 10),
    "cifar10": _fixed(50000, 10000, 10),
    "cifar100": _fixed(50000, 10000, 100),
    "imagefolder": _imagefolder_census,
}


def census(data_config: Mapping[str, Any]) -> Census:
    name = data_config["name"]
    if name not in CENSUS:
        raise SplitSizeError("data.name", f"unknown dataset {name!r}; choose one of {', '.join(CENSUS)}")
    return CENSUS[name](data_config)


def _check_fraction(key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 < value < 1:
        raise SplitSizeError(key, f"{key.rsplit('.', 1)[-1]} must be a number in (0, 1), got {value!r}")
    return float(value)


def split_sizes(
    sizes: Census, *, val_fraction: float, test_fraction: float, transfer_size: int | None
) -> SplitSizes:
    """The size of every split (see the module docstring), or :class:`SplitSizeError` naming the key to change.

    ``test_fraction`` is not used where the dataset has an official test part.
    """
    n, k = sizes.pool, sizes.num_classes
    val_fraction = _check_fraction("data.val_fraction", val_fraction)
    n_val = round(n * val_fraction)
    if sizes.official_test is None:
        test_fraction = _check_fraction("data.test_fraction", test_fraction)
        n_test = round(n * test_fraction)
        if val_fraction + test_fraction >= 1 or n - n_val - n_test < k:
            raise SplitSizeError(
                "data.val_fraction",
                f"val_fraction + test_fraction = {val_fraction} + {test_fraction} leaves {max(n - n_val - n_test, 0)} of "
                f"{n} items for train (val {n_val}, test {n_test}); train needs at least one item per class ({k})",
            )
        parts = {"data.test_fraction": ("test", n_test), "data.val_fraction": ("val", n_val)}
    else:
        n_test = sizes.official_test
        if n - n_val < k:
            raise SplitSizeError(
                "data.val_fraction",
                f"val_fraction {val_fraction} leaves {n - n_val} of the {n} items of the official train part for "
                f"train (val {n_val}); train needs at least one item per class ({k})",
            )
        parts = {"data.val_fraction": ("val", n_val)}
    for key, (part, size) in parts.items():
        if size < k:
            raise SplitSizeError(
                key,
                f"{key.rsplit('.', 1)[-1]} gives {part} {size} of {n} items, fewer than the {k} classes; "
                f"a stratified part needs at least one item per class",
            )
    n_train = n - n_val - (0 if sizes.official_test is not None else n_test)
    if transfer_size is not None and (
        isinstance(transfer_size, bool) or not isinstance(transfer_size, numbers.Integral) or not 1 <= transfer_size <= n_train
    ):
        raise SplitSizeError(
            "data.transfer_size",
            f"transfer_size must be null or an integer from 1 to the {n_train} items of train "
            f"(of {n + (sizes.official_test or 0)} items: val {n_val}, test {n_test}), got {transfer_size!r}",
        )
    return SplitSizes(
        train=n_train,
        val=n_val,
        test=n_test,
        transfer=n_train if transfer_size is None else int(transfer_size),
        official_test=sizes.official_test is not None,
    )


def plan_splits(data_config: Mapping[str, Any]) -> SplitSizes:
    """Split sizes of a ``data`` config section (defaults filled in); raises :class:`SplitSizeError`."""
    return split_sizes(
        census(data_config),
        val_fraction=data_config["val_fraction"],
        test_fraction=data_config["test_fraction"],
        transfer_size=data_config["transfer_size"],
    )
