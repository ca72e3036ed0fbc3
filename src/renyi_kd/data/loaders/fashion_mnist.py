"""Fashion-MNIST (Xiao, Rasul and Vollgraf 2017): 28x28 grayscale clothes, 10 classes, 60000 train and 10000
official test images, read from the four official IDX files (Debian's ``dataset-fashion-mnist`` installs them in
``/usr/share/datasets/fashion-mnist``). Every file is checked (:mod:`renyi_kd.data.idx`) before a pixel is used."""

from __future__ import annotations

import logging
import urllib.request
from functools import partial
from pathlib import Path

import numpy as np
import torch

from renyi_kd.data.idx import read_idx_pair
from renyi_kd.data.images import ImageData, TensorImages
from renyi_kd.data.loaders.pixels import prepare_uint8

__all__ = ["CLASSES", "FILES", "load_fashion_mnist"]

log = logging.getLogger(__name__)

# (images, labels) of the official train part, then of the official test part
FILES = (("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
         ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"))
CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
SIDE = 28
# Pixel mean and standard deviation of the 60000 training images (in [0, 1])
MEAN, STD = (0.2860,), (0.3530,)
URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"


def load_fashion_mnist(root: Path, *, image_size: int, download: bool) -> ImageData:
    """The official train part, then the official test part, as uint8 pixels normalised when read."""
    if download:
        _fetch_missing(root)
    parts = [_read_part(root, images, labels) for images, labels in FILES]
    pixels = torch.from_numpy(np.concatenate([images for images, _ in parts])).unsqueeze(1)
    targets = np.concatenate([labels for _, labels in parts]).astype(np.int64)
    return ImageData(
        name="fashion_mnist",
        images=TensorImages(pixels, partial(prepare_uint8, mean=MEAN, std=STD, image_size=image_size)),
        targets=targets,
        classes=CLASSES,
        in_chans=1,
        image_size=image_size,
        official_test=len(parts[1][1]),
    )


def _read_part(root: Path, images: str, labels: str) -> tuple[np.ndarray, np.ndarray]:
    """One part's images and labels; the images file must hold as many items as the labels file."""
    return read_idx_pair(root / images, root / labels, height=SIDE, width=SIDE, classes=len(CLASSES))


def _fetch_missing(root: Path) -> None:
    """Download the official files that ``root`` lacks (only with ``data.download: true``; needs a network)."""
    root.mkdir(parents=True, exist_ok=True)
    for name in (name for pair in FILES for name in pair):
        target = root / name
        if not target.is_file():
            log.info("downloading %s%s", URL, name)
            partial_file = target.with_suffix(".part")
            urllib.request.urlretrieve(URL + name, partial_file)
            partial_file.replace(target)
