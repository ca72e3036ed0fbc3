"""scikit-learn's handwritten digits: 1797 images of 8x8 pixels, 10 classes, no official test part."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import torch

from renyi_kd.data.images import ImageData, TensorImages
from renyi_kd.data.loaders.pixels import resize

__all__ = ["load_digits", "digits_arrays"]


def load_digits(root: Path | None, *, image_size: int, download: bool) -> ImageData:
    """The digits (values 0..16), resized once and normalised to [-1, 1]; ``root`` and ``download`` are not used.

    The resize runs in float64 and is then rounded to float32, so the stored pixels (and the fingerprint)
    come out bit-identical on every machine.
    """
    images, targets = digits_arrays()
    x = torch.from_numpy(images).unsqueeze(1) / 16.0
    if image_size != x.shape[-1]:
        x = resize(x, image_size)
    pixels = ((x - 0.5) / 0.5).float().contiguous()
    return ImageData(
        name="digits",
        images=TensorImages(pixels, fill=-1.0),
        targets=targets,
        classes=[str(c) for c in range(10)],
        in_chans=1,
        image_size=image_size,
    )


def digits_arrays() -> tuple[np.ndarray, np.ndarray]:
    """The images ``[1797, 8, 8]`` (float64, 0..16) and labels of the CSV that ships inside scikit-learn,
    read as ``sklearn.datasets.load_digits`` reads it but without importing scikit-learn, which would cost
    every job most of a second (tests/test_data.py checks both give the same arrays)."""
    spec = importlib.util.find_spec("sklearn")
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError("scikit-learn is needed for the digits data (it ships with it)")
    table = np.loadtxt(Path(spec.origin).parent / "datasets" / "data" / "digits.csv.gz", delimiter=",")
    return table[:, :-1].reshape(-1, 8, 8), table[:, -1].astype(np.int64)
