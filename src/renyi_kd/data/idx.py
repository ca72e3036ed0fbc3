"""The IDX format of MNIST and Fashion-MNIST (LeCun et al.), gzip-compressed, read with every field checked.

A file holds a 4-byte magic number ``0x00 0x00 TYPE NDIM`` (TYPE ``0x08``: unsigned bytes), NDIM big-endian
uint32 dimensions, then exactly ``prod(dimensions)`` bytes. A truncated, corrupt or mismatched file is refused
with :class:`IdxError`, whose message starts with the file's path, before any pixel reaches a model.
"""

from __future__ import annotations

import gzip
import struct
import zlib
from pathlib import Path

import numpy as np

__all__ = ["IdxError", "read_idx", "read_idx_pair", "write_idx"]

_UNSIGNED_BYTE = 0x08


class IdxError(ValueError):
    """An IDX file that cannot be trusted; the message names the file."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = Path(path)


def read_idx(path: str | Path, ndim: int) -> np.ndarray:
    """The uint8 array of a gzip-compressed IDX file of ``ndim`` dimensions."""
    path = Path(path)
    try:
        raw = gzip.decompress(path.read_bytes())
    except FileNotFoundError:
        raise IdxError(path, "file not found") from None
    except (OSError, EOFError, zlib.error) as error:  # gzip.BadGzipFile is an OSError; truncation is an EOFError
        raise IdxError(path, f"not a complete gzip file ({error})") from None
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise IdxError(path, f"{len(raw)} bytes, shorter than the {header}-byte header of a {ndim}-d IDX file")
    zero, kind, dims = struct.unpack(">HBB", raw[:4])
    if zero != 0 or kind != _UNSIGNED_BYTE or dims != ndim:
        raise IdxError(path, f"magic number {raw[:4].hex()} is not that of a {ndim}-d unsigned-byte IDX file "
                       f"(expected 000008{ndim:02x})")
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    size = int(np.prod(shape, dtype=np.int64))
    if len(raw) - header != size:
        raise IdxError(path, f"dimensions {shape} need {size} data bytes, the file has {len(raw) - header}")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def read_idx_pair(images_path: str | Path, labels_path: str | Path, *, height: int, width: int, classes: int,
                  count: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Images ``[count, height, width]`` and labels ``[count]`` in ``[0, classes)``, checked against each other
    (``count`` None: as many as the labels file holds)."""
    images, labels = read_idx(images_path, 3), read_idx(labels_path, 1)
    count = len(labels) if count is None else count
    if images.shape != (count, height, width):
        raise IdxError(Path(images_path), f"holds images of shape {images.shape}, expected {(count, height, width)}")
    if labels.shape != (count,):
        raise IdxError(Path(labels_path), f"holds {labels.shape[0]} labels, expected {count}")
    if labels.max(initial=0) >= classes:
        raise IdxError(Path(labels_path), f"holds label {int(labels.max())}, outside 0..{classes - 1}")
    return images, labels


def write_idx(path: str | Path, array: np.ndarray) -> Path:
    """Write ``array`` (uint8) as a gzip-compressed IDX file: tests and small local datasets."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = struct.pack(">HBB", 0, _UNSIGNED_BYTE, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    path = Path(path)
    path.write_bytes(gzip.compress(header + array.tobytes(), mtime=0))
    return path
