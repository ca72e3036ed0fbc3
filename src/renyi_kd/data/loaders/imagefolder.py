"""A folder of class sub-folders of image files (see :mod:`renyi_kd.data.image_folders`), pixels read per item."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from torchvision import datasets as tv_datasets

from renyi_kd.data.image_folders import imagefolder_classes, imagefolder_parts, is_image_file
from renyi_kd.data.images import FileImages, ImageData

__all__ = ["load_imagefolder"]


def load_imagefolder(root: Path, *, image_size: int, download: bool) -> ImageData:
    """``root/<class>/<image>``, or ``root/train/<class>/<image>`` and ``root/test/<class>/<image>`` (the official
    parts, train first, with the same class folders), via torchvision's ImageFolder (classes sorted by name);
    pixels read per item. Other sub-folders beside ``train/`` and ``test/`` are not read; nothing is downloaded."""
    root = root.resolve()
    if not root.is_dir():
        raise FileNotFoundError(f"image folder {root} does not exist; set data.root to a folder of class sub-folders")
    parts = imagefolder_parts(root)
    classes = imagefolder_classes(parts)
    folders = {name: tv_datasets.ImageFolder(str(folder), is_valid_file=is_image_file) for name, folder in parts.items()}
    samples = [sample for folder in folders.values() for sample in folder.samples]
    return ImageData(
        name="imagefolder",
        images=FileImages(root, tuple(Path(p).relative_to(root).as_posix() for p, _ in samples), image_size),
        targets=np.asarray([target for _, target in samples]),
        classes=classes,
        in_chans=3,
        image_size=image_size,
        official_test=len(folders["test"]) if "test" in folders else None,
    )
