"""The built-in datasets: one record each (the loaders live in ``renyi_kd.data.loaders``, imported on first load)."""

from __future__ import annotations

from renyi_kd.data.image_folders import imagefolder_census
from renyi_kd.data.registry import Census, DatasetRecord, register_dataset

_LOADERS = "renyi_kd.data.loaders"

BUILTIN_DATASETS = (
    DatasetRecord(
        name="digits",
        loader=f"{_LOADERS}.digits:load_digits",
        census=Census(1797, None, 10),
        in_chans=1,
        image_size=32,
        needs_root=False,
        description="scikit-learn's 8x8 handwritten digits (ships with it); train/val/test drawn from one pool",
    ),
    DatasetRecord(
        name="cifar10",
        loader=f"{_LOADERS}.cifar:load_cifar10",
        census=Census(50000, 10000, 10),
        in_chans=3,
        image_size=32,
        can_download=True,
        description="CIFAR-10's python archive: 50000 train and 10000 official test images",
    ),
    DatasetRecord(
        name="cifar100",
        loader=f"{_LOADERS}.cifar:load_cifar100",
        census=Census(50000, 10000, 100),
        in_chans=3,
        image_size=32,
        can_download=True,
        description="CIFAR-100's python archive: 50000 train and 10000 official test images, 100 fine classes",
    ),
    DatasetRecord(
        name="fashion_mnist",
        loader=f"{_LOADERS}.fashion_mnist:load_fashion_mnist",
        census=Census(60000, 10000, 10),
        in_chans=1,
        image_size=28,
        default_root="/usr/share/datasets/fashion-mnist",
        can_download=True,
        install_hint="install Debian's dataset-fashion-mnist (make datasets) or set data.root to a folder of the four files",
        description="Fashion-MNIST's four official IDX files: 60000 train and 10000 official test images, 28x28",
    ),
    DatasetRecord(
        name="imagefolder",
        loader=f"{_LOADERS}.imagefolder:load_imagefolder",
        census=imagefolder_census,
        in_chans=3,
        image_size=224,
        description="a folder of class sub-folders (or train/ and test/ of them: the official parts)",
    ),
)

for _record in BUILTIN_DATASETS:
    register_dataset(_record)
