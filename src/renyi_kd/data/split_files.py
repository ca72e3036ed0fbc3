"""The splits file: every split's dataset indices with the fingerprint of the data they index (JSON)."""

from __future__ import annotations

import json
from pathlib import Path

from renyi_kd.data.splits import SPLIT_NAMES
from renyi_kd.files import write_text

__all__ = ["SPLITS_FORMAT", "save_splits", "load_splits"]

SPLITS_FORMAT = "renyi_kd.splits/1"

# Where each split was drawn from, by whether the data has an official test part; recorded in the splits file.
DRAWN_FROM = {
    True: {"train": "official train part", "val": "official train part", "test": "official test part", "transfer": "train"},
    False: {"train": "pool", "val": "pool", "test": "pool", "transfer": "train"},
}


def save_splits(
    path: Path,
    splits: dict[str, list[int]],
    *,
    data_fingerprint: str,
    meta: dict,
    official_test: int | None = None,
) -> None:
    """Write ``splits`` as JSON with the fingerprint of the data they index, atomically (tmp + rename).

    ``official_test`` (as given to :func:`renyi_kd.data.splits.make_splits`) is recorded with where each split
    was drawn from.
    """
    missing = [name for name in SPLIT_NAMES if name not in splits]
    if missing:
        raise ValueError(f"splits lack {', '.join(missing)}; expected {', '.join(SPLIT_NAMES)}")
    document = {
        "format": SPLITS_FORMAT,
        "data_fingerprint": data_fingerprint,
        "meta": meta,
        "official_test": official_test,
        "drawn_from": DRAWN_FROM[official_test is not None],
        "sizes": {name: len(splits[name]) for name in SPLIT_NAMES},
        "splits": {name: [int(i) for i in splits[name]] for name in SPLIT_NAMES},
    }
    write_text(path, json.dumps(document, indent=1) + "\n")


def load_splits(path: Path, *, expected_fingerprint: str | None = None) -> dict[str, list[int]]:
    """Read a file written by :func:`save_splits`, checking it was made from the data at hand."""
    path = Path(path)
    document = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(document, dict) or document.get("format") != SPLITS_FORMAT:
        raise ValueError(f"{path} is not a splits file (format {SPLITS_FORMAT!r}); rerun prepare_data")
    stored = document["data_fingerprint"]
    if expected_fingerprint is not None and stored != expected_fingerprint:
        raise ValueError(
            f"{path} was made from different data: its data fingerprint is {stored}, the data now loaded has "
            f"{expected_fingerprint}. The dataset changed since the splits were made; rerun prepare_data."
        )
    return {name: [int(i) for i in document["splits"][name]] for name in SPLIT_NAMES}
