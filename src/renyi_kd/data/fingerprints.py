"""What a dataset is, as one sha256: cached splits and teacher logits are checked against it when loaded."""

from __future__ import annotations

import hashlib
import json

from renyi_kd.data.images import ImageData

__all__ = ["fingerprint"]


def fingerprint(data: ImageData) -> str:
    """sha256 hex of what the data is: name, size, item shape, class names, targets and image content.

    Image content is the pixel bytes for in-memory data and the relative paths and file sizes for image folders.
    Every field is length-prefixed, so no two different datasets hash the same bytes.
    """
    digest = hashlib.sha256()
    header = {
        "name": data.name,
        "items": len(data),
        "in_chans": data.in_chans,
        "image_size": data.image_size,
        "classes": list(data.classes),
    }
    if data.official_test is not None:  # absent otherwise, so fingerprints of pooled data stay what they were
        header["official_test"] = data.official_test
    chunks = [json.dumps(header, sort_keys=True).encode(), data.targets.astype("<i8").tobytes()]
    for chunk in (*chunks, *data.images.content()):
        digest.update(len(chunk).to_bytes(8, "little"))
        digest.update(chunk)
    return digest.hexdigest()
