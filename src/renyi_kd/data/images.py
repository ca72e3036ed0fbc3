"""What a loaded dataset is: :class:`ImageData`, items ``(x, y)``, and the sources its pixels are read from.

``x`` is a normalised float tensor ``[C, H, W]`` and ``y`` the class index. Where a dataset has an official test
part, its items follow those of the official train part (:attr:`ImageData.official_test` says how many).
An :class:`ImageSource` holds the pixels: :class:`TensorImages` in memory (digits, CIFAR), :class:`FileImages`
read per item from files (image folders); both give the bytes that identify them to
:func:`renyi_kd.data.fingerprints.fingerprint`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import torchvision.transforms.functional as TF
from PIL import Image
from torch import Tensor
from torch.utils.data import Dataset

from renyi_kd.data.augment import Fill

__all__ = ["IMAGENET_MEAN", "IMAGENET_STD", "ImageData", "ImageSource", "TensorImages", "FileImages"]

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class ImageSource(Protocol):
    """Images by dataset index, plus the bytes that identify them for the fingerprint.

    ``fill`` is how a black pixel is stored (one value, or one per channel): what augmentation pads with.
    """

    fill: Fill

    def __len__(self) -> int: ...

    def load(self, index: int) -> Tensor: ...

    def content(self) -> Iterator[bytes | memoryview]: ...


@dataclass(frozen=True, eq=False)
class TensorImages:
    """All images in memory as one tensor ``[N, C, H, W]``.

    ``prepare`` turns stored images (one ``[C, H, W]`` or a batch ``[B, C, H, W]``) into model input; ``None``
    means they are stored ready (digits). CIFAR is stored as uint8 (4x less memory than float) and normalised
    when read. ``fill`` is the stored value of a black pixel.
    """

    pixels: Tensor
    prepare: Callable[[Tensor], Tensor] | None = None
    fill: Fill = 0.0

    def __len__(self) -> int:
        return self.pixels.shape[0]

    def load(self, index: int) -> Tensor:
        x = self.pixels[index]
        return x if self.prepare is None else self.prepare(x)

    def content(self) -> Iterator[bytes | memoryview]:
        """Dtype, shape and the little-endian pixel bytes."""
        array = np.ascontiguousarray(self.pixels.detach().cpu().numpy())
        array = array.astype(array.dtype.newbyteorder("<"), copy=False)
        yield json.dumps({"dtype": array.dtype.str, "shape": list(array.shape)}).encode()
        yield memoryview(array).cast("B")


@dataclass(frozen=True, eq=False)
class FileImages:
    """Image files read lazily, one per item: RGB, resized to a square ``image_size``, ImageNet-normalised.

    ``files`` are POSIX paths relative to ``root``, in dataset order, so the fingerprint does not depend on
    where the folder sits on disk.
    """

    root: Path
    files: tuple[str, ...]
    image_size: int

    def __len__(self) -> int:
        return len(self.files)

    def load(self, index: int) -> Tensor:
        with Image.open(self.root / self.files[index]) as image:
            rgb = image.convert("RGB")
        resized = TF.resize(rgb, [self.image_size, self.image_size], antialias=True)
        return TF.normalize(TF.to_tensor(resized), IMAGENET_MEAN, IMAGENET_STD)

    @property
    def fill(self) -> Fill:
        """A black pixel after ImageNet normalisation."""
        return tuple(-m / s for m, s in zip(IMAGENET_MEAN, IMAGENET_STD))

    def content(self) -> Iterator[bytes | memoryview]:
        """Relative path and size of every file: cheap on large folders, unlike hashing the pixels."""
        for name in self.files:
            yield f"{name}\0{(self.root / name).stat().st_size}".encode()


@dataclass(frozen=True, eq=False, kw_only=True)
class ImageData(Dataset):
    """A classification dataset: ``data[i] -> (x, y)``, ``x`` float ``[in_chans, image_size, image_size]``.

    ``targets`` is stored read-only so nobody can relabel items behind a fingerprint's back. ``official_test``:
    the last that many items are the dataset's official test part (``None``: no official split).
    """

    name: str
    images: ImageSource
    targets: np.ndarray
    classes: list[str]
    in_chans: int
    image_size: int
    official_test: int | None = None

    def __post_init__(self) -> None:
        targets = np.array(self.targets, dtype=np.int64)
        targets.flags.writeable = False
        object.__setattr__(self, "targets", targets)
        if targets.ndim != 1 or len(targets) != len(self.images):
            raise ValueError(
                f"{self.name}: targets must be 1-D with one entry per image, "
                f"got shape {targets.shape} for {len(self.images)} images"
            )
        if len(targets) and (targets.min() < 0 or targets.max() >= len(self.classes)):
            raise ValueError(f"{self.name}: targets must lie in [0, {len(self.classes)}), one per class name")
        if self.official_test is not None and not 0 < self.official_test < len(targets):
            raise ValueError(f"{self.name}: official_test must be None or in (0, {len(targets)}), got {self.official_test}")

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    def __len__(self) -> int:
        return len(self.targets)

    def __getitem__(self, index: int) -> tuple[Tensor, int]:
        index = int(index)
        return self.images.load(index), int(self.targets[index])
