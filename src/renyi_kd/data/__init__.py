"""Data: dataset records and loaders, splits, augmentation, device batches, fingerprints.

The public names are importable from here. The registry (``DATASETS``, ``DatasetRecord``, ``register_dataset``,
``load_dataset``, ...) and the split plan need no torch; the rest loads torch on first use, so configs are checked
without it.

Modules: ``registry`` (the dataset records), ``catalog`` (the built-in records), ``loaders/`` (one module per file
format), ``images`` (:class:`ImageData` and where its pixels live), ``image_folders`` (an image folder's layout),
``safe_unpickle`` (CIFAR's pickles), ``split_plan`` (split sizes from the config), ``splits`` (stratified splits
and the transfer subset), ``fingerprints``, ``split_files``, ``dataloader`` (seeded batches), ``augment``,
``device_batches``, ``prepare`` (the prepare_data stage), ``synthetic`` (a synthetic CIFAR-100 archive).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from renyi_kd.data import catalog as _builtin  # noqa: F401  (registers the built-in datasets)
from renyi_kd.data.registry import (
    DATASETS,
    Census,
    DatasetRecord,
    Loader,
    get_dataset,
    load_dataset,
    register_dataset,
    unregister_dataset,
)
from renyi_kd.data.split_plan import SplitSizeError, SplitSizes, plan_splits, split_sizes

if TYPE_CHECKING:
    from renyi_kd.data.dataloader import IndexedSubset, loader_seed, make_loader
    from renyi_kd.data.fingerprints import fingerprint
    from renyi_kd.data.images import FileImages, ImageData, ImageSource, TensorImages
    from renyi_kd.data.split_files import load_splits, save_splits
    from renyi_kd.data.splits import SPLIT_NAMES, make_splits

_LAZY = {
    "ImageData": "renyi_kd.data.images",
    "ImageSource": "renyi_kd.data.images",
    "TensorImages": "renyi_kd.data.images",
    "FileImages": "renyi_kd.data.images",
    "SPLIT_NAMES": "renyi_kd.data.splits",
    "make_splits": "renyi_kd.data.splits",
    "fingerprint": "renyi_kd.data.fingerprints",
    "save_splits": "renyi_kd.data.split_files",
    "load_splits": "renyi_kd.data.split_files",
    "IndexedSubset": "renyi_kd.data.dataloader",
    "loader_seed": "renyi_kd.data.dataloader",
    "make_loader": "renyi_kd.data.dataloader",
}

__all__ = [
    "DATASETS", "Census", "DatasetRecord", "Loader", "SplitSizeError", "SplitSizes",
    "get_dataset", "load_dataset", "plan_splits", "register_dataset", "split_sizes", "unregister_dataset", *_LAZY,
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'renyi_kd.data' has no attribute {name!r}")
