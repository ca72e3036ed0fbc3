"""The IDX reader: a round trip, and every way a file can be broken is refused with the file's name."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest

from renyi_kd.data.idx import IdxError, read_idx, read_idx_pair, write_idx

IMAGES = np.arange(3 * 4 * 5, dtype=np.uint8).reshape(3, 4, 5)
LABELS = np.array([0, 2, 1], dtype=np.uint8)


def pair(tmp_path: Path) -> tuple[Path, Path]:
    return write_idx(tmp_path / "images-idx3-ubyte.gz", IMAGES), write_idx(tmp_path / "labels-idx1-ubyte.gz", LABELS)


def test_a_written_pair_reads_back_unchanged(tmp_path: Path) -> None:
    images, labels = read_idx_pair(*pair(tmp_path), count=3, height=4, width=5, classes=3)
    np.testing.assert_array_equal(images, IMAGES)
    np.testing.assert_array_equal(labels, LABELS)


def _gzip(raw: bytes) -> bytes:
    return gzip.compress(raw, mtime=0)


def _idx(array: np.ndarray) -> bytes:
    return struct.pack(">HBB", 0, 8, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()


BROKEN = {
    "truncated gzip stream": lambda: _gzip(_idx(IMAGES))[:-9],
    "cut in the middle": lambda: _gzip(_idx(IMAGES))[: len(_gzip(_idx(IMAGES))) // 2],
    "not gzip at all": lambda: _idx(IMAGES),
    "empty file": lambda: b"",
    "a flipped byte (CRC)": lambda: (lambda b: b[:-6] + bytes([b[-6] ^ 0xFF]) + b[-5:])(_gzip(_idx(IMAGES))),
    "data shorter than the dimensions": lambda: _gzip(_idx(IMAGES)[:-7]),
    "data longer than the dimensions": lambda: _gzip(_idx(IMAGES) + b"\0\0"),
    "header only half there": lambda: _gzip(_idx(IMAGES)[:6]),
    "wrong type byte (int32)": lambda: _gzip(b"\0\0\x0c\x03" + _idx(IMAGES)[4:]),
    "wrong number of dimensions": lambda: _gzip(_idx(IMAGES.reshape(3, 20))),
    "non-zero leading bytes": lambda: _gzip(b"\x01\0\x08\x03" + _idx(IMAGES)[4:]),
}


@pytest.mark.parametrize("problem", sorted(BROKEN))
def test_a_broken_images_file_is_refused_naming_the_file(tmp_path: Path, problem: str) -> None:
    images, labels = pair(tmp_path)
    images.write_bytes(BROKEN[problem]())
    with pytest.raises(IdxError, match=str(images)):
        read_idx_pair(images, labels, count=3, height=4, width=5, classes=3)


@pytest.mark.parametrize(
    ("labels", "count", "message"),
    [(np.array([0, 1], np.uint8), 3, "holds 2 labels, expected 3"),
     (np.array([0, 1, 7], np.uint8), 3, "label 7, outside 0..2")],
)
def test_labels_that_do_not_fit_the_images_are_refused_naming_the_labels_file(
    tmp_path: Path, labels: np.ndarray, count: int, message: str
) -> None:
    images, labels_path = pair(tmp_path)
    write_idx(labels_path, labels)
    with pytest.raises(IdxError, match=f"{labels_path}.*{message}"):
        read_idx_pair(images, labels_path, count=count, height=4, width=5, classes=3)


def test_images_of_another_size_or_count_are_refused(tmp_path: Path) -> None:
    images, labels = pair(tmp_path)
    with pytest.raises(IdxError, match=f"{images}.*expected \\(3, 28, 28\\)"):
        read_idx_pair(images, labels, count=3, height=28, width=28, classes=3)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(IdxError, match="absent.gz: file not found"):
        read_idx(tmp_path / "absent.gz", 1)
