"""Reading CIFAR's python archives (pickled dicts of numpy arrays) without letting a pickle run code.

Pickle can call any importable function while loading; the unpickler here resolves only the few globals the
official archives, and archives re-pickled by Python 3 with numpy 2, need, so a tampered file fails instead.
"""

from __future__ import annotations

import codecs
import pickle
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["unpickle_archive", "text"]

_NDARRAY_RECONSTRUCT = np.zeros(0).__reduce__()[0]
# The only globals the official archives (numpy arrays in dicts, pickled by Python 2 with numpy 1) and
# archives re-pickled by Python 3 with numpy 2 need.
_ARCHIVE_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"): _NDARRAY_RECONSTRUCT,
    ("numpy._core.multiarray", "_reconstruct"): _NDARRAY_RECONSTRUCT,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    ("_codecs", "encode"): codecs.encode,
}


class _ArchiveUnpickler(pickle.Unpickler):
    """Resolves only the globals in ``_ARCHIVE_GLOBALS``."""

    def find_class(self, module: str, name: str) -> Any:
        try:
            return _ARCHIVE_GLOBALS[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"refusing global {module}.{name} in a CIFAR archive") from None


def unpickle_archive(path: Path) -> dict[str, Any]:
    """A CIFAR archive file as a dict with str keys (Python 2 files give str keys, Python 3 ones bytes)."""
    with open(path, "rb") as f:
        content = _ArchiveUnpickler(f, encoding="latin1").load()
    return {text(k): v for k, v in content.items()}


def text(value: str | bytes) -> str:
    """A name from an archive as str, whether Python 2 (str) or Python 3 (bytes) pickled it."""
    return value.decode() if isinstance(value, bytes) else value
