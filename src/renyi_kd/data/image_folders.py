"""How an image folder is laid out, read without opening an image (no torch), for its loader and its census.

``root/<class>/<image>`` is one pool; ``root/train/<class>/<image>`` and ``root/test/<class>/<image>`` are the
official parts, with the same class folders. Classes are the class folders sorted by name (torchvision's
ImageFolder order); images are the files with an image extension, in sub-folders too.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from renyi_kd.data.registry import Census
from renyi_kd.data.split_plan import SplitSizeError

__all__ = ["IMAGE_EXTENSIONS", "is_image_file", "imagefolder_parts", "class_folders", "imagefolder_classes",
           "imagefolder_census"]

# What an image folder counts as an image, for the census and the loader alike.
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")
OFFICIAL_PARTS = ("train", "test")


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


def imagefolder_census(root: Path) -> Census:
    """Image files per class folder, counted."""
    parts = imagefolder_parts(root)
    classes = imagefolder_classes(parts)
    pool, *official_test = (sum(_count_images(folder / c) for c in classes) for folder in parts.values())
    return Census(pool, official_test[0] if official_test else None, len(classes))
