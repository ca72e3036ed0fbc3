"""CIFAR-10 and CIFAR-100 from their official python archives: the train parts, then the official test part."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torchvision import datasets as tv_datasets

from renyi_kd.data.images import ImageData, TensorImages
from renyi_kd.data.loaders.pixels import prepare_uint8
from renyi_kd.data.safe_unpickle import text, unpickle_archive

__all__ = ["CIFAR10", "CIFAR100", "CifarLayout", "load_cifar10", "load_cifar100"]


@dataclass(frozen=True)
class CifarLayout:
    """File layout of one official CIFAR python archive, and its usual channel statistics."""

    name: str
    title: str
    folder: str
    parts: tuple[str, ...]
    meta: str
    label_key: str
    names_key: str
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    fetch: Callable[..., Any]


CIFAR10 = CifarLayout(
    name="cifar10",
    title="CIFAR-10",
    folder="cifar-10-batches-py",
    parts=(*(f"data_batch_{i}" for i in range(1, 6)), "test_batch"),
    meta="batches.meta",
    label_key="labels",
    names_key="label_names",
    mean=(0.4914, 0.4822, 0.4465),
    std=(0.2470, 0.2435, 0.2616),
    fetch=tv_datasets.CIFAR10,
)
CIFAR100 = CifarLayout(
    name="cifar100",
    title="CIFAR-100",
    folder="cifar-100-python",
    parts=("train", "test"),
    meta="meta",
    label_key="fine_labels",
    names_key="fine_label_names",
    mean=(0.5071, 0.4865, 0.4409),
    std=(0.2673, 0.2564, 0.2762),
    fetch=tv_datasets.CIFAR100,
)


def load_cifar(root: Path, *, image_size: int, download: bool, layout: CifarLayout) -> ImageData:
    """The official train parts of a CIFAR archive followed by its test part, which is ``official_test``.

    Stored as uint8 (4x less memory than float) and normalised with the archive's channel statistics when read.
    """
    folder = _find_folder(root, layout, download)
    parts = [_read_part(folder / part, layout.label_key) for part in layout.parts]
    pixels = torch.from_numpy(np.concatenate([p for p, _ in parts]))
    targets = np.concatenate([t for _, t in parts])
    meta = unpickle_archive(folder / layout.meta)
    return ImageData(
        name=layout.name,
        images=TensorImages(pixels, partial(prepare_uint8, mean=layout.mean, std=layout.std, image_size=image_size)),
        targets=targets,
        classes=[text(n) for n in meta[layout.names_key]],
        in_chans=3,
        image_size=image_size,
        official_test=len(parts[-1][1]),
    )


load_cifar10 = partial(load_cifar, layout=CIFAR10)
load_cifar100 = partial(load_cifar, layout=CIFAR100)


def _find_folder(root: Path, layout: CifarLayout, download: bool) -> Path:
    """The extracted archive folder: ``root`` itself or ``root/<folder>``; downloaded there if asked."""
    for candidate in (root, root / layout.folder):
        if (candidate / layout.meta).is_file():
            return candidate
    if download:
        parent = root.parent if root.name == layout.folder else root
        layout.fetch(str(parent), download=True)
        return parent / layout.folder
    raise FileNotFoundError(
        f"{layout.title} not found at {root / layout.folder} (nor at {root} itself): expected the extracted "
        f"python archive ({', '.join(layout.parts)}, {layout.meta}). Set data.download: true to fetch it, "
        f"or data.root to the folder that holds it."
    )


def _read_part(path: Path, label_key: str) -> tuple[np.ndarray, np.ndarray]:
    """One pickled batch -> (uint8 ``[n, 3, 32, 32]``, int64 labels ``[n]``)."""
    batch = unpickle_archive(path)
    data = np.asarray(batch["data"], dtype=np.uint8)
    labels = np.asarray(batch[label_key], dtype=np.int64)
    if data.ndim != 2 or data.shape[1] != 3 * 32 * 32 or len(labels) != len(data):
        raise ValueError(f"{path}: expected data [n, 3072] and n labels, got {data.shape} and {len(labels)}")
    return data.reshape(-1, 3, 32, 32), labels
