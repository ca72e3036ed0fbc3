"""Datasets, stratified splits, transfer subsets and data fingerprints (no tracking, no workflow).

Every dataset is an :class:`ImageData`: items ``(x, y)`` with ``x`` a normalised float tensor ``[C, H, W]`` and
``y`` the class index. Where a dataset has an official test part (CIFAR; an image folder with ``train/`` and
``test/``), its items follow those of the official train part and that part is the test split; val is a
stratified part of the official train part. Otherwise (digits, a plain image folder) train/val/test is a
stratified split of one pool. The student's transfer set is a stratified subset of train. Split sizes come from
:func:`renyi_kd.data.split_plan.split_sizes`, which the config validation runs before any job.
A fingerprint (sha256) says what the data is, so cached splits and teacher logits can be checked on load.
"""

from __future__ import annotations

import codecs
import hashlib
import importlib.util
import json
import pickle
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache, partial
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch
import torch.nn.functional as F
import torchvision.transforms.functional as TF
from PIL import Image
from torch import Tensor
from torch.utils.data import DataLoader, Dataset
from torchvision import datasets as tv_datasets

from renyi_kd.data.augment import Fill
from renyi_kd.files import write_text
from renyi_kd.data.split_plan import Census, imagefolder_classes, imagefolder_parts, is_image_file, split_sizes

__all__ = [
    "DATASET_NAMES",
    "SPLIT_NAMES",
    "ImageData",
    "ImageSource",
    "TensorImages",
    "FileImages",
    "load_dataset",
    "make_splits",
    "fingerprint",
    "save_splits",
    "load_splits",
    "IndexedSubset",
    "loader_seed",
    "make_loader",
]

DATASET_NAMES = ("digits", "cifar10", "cifar100", "imagefolder")
SPLIT_NAMES = ("train", "val", "test", "transfer")
SPLITS_FORMAT = "renyi_kd.splits/1"

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
# Seeds of different epochs must not collide: seed * EPOCH_STRIDE + epoch is unique while epoch < EPOCH_STRIDE.
EPOCH_STRIDE = 100003


# --- where the pixels live ---------------------------------------------------------------------------------


class ImageSource(Protocol):
    """Images by dataset index, plus the bytes that identify them for :func:`fingerprint`.

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


# --- loading -----------------------------------------------------------------------------------------------


def load_dataset(
    name: str, *, root: str | Path | None = None, image_size: int | None = None, download: bool = False
) -> ImageData:
    """Load dataset ``name`` (one of :data:`DATASET_NAMES`) as one pool of items.

    ``root`` is ignored for ``digits`` (it ships with scikit-learn); ``download`` applies to CIFAR only.
    """
    loaders: dict[str, Callable[[Path | None, int | None, bool], ImageData]] = {
        "digits": _load_digits,
        "cifar10": partial(_load_cifar, layout=CIFAR10),
        "cifar100": partial(_load_cifar, layout=CIFAR100),
        "imagefolder": _load_imagefolder,
    }
    if name not in loaders:
        raise ValueError(f"unknown dataset name {name!r}; choose one of {', '.join(DATASET_NAMES)}")
    if image_size is not None and (isinstance(image_size, bool) or not isinstance(image_size, int) or image_size < 1):
        raise ValueError(f"image_size must be a positive integer or None, got {image_size!r}")
    return loaders[name](None if root is None else Path(root).expanduser(), image_size, download)


def _resize(x: Tensor, size: int) -> Tensor:
    """Bilinear resize of ``[..., C, H, W]`` to ``size x size``, antialiased so downscaling does not alias."""
    batch = x.reshape(-1, *x.shape[-3:])
    out = F.interpolate(batch, size=(size, size), mode="bilinear", align_corners=False, antialias=True)
    return out.reshape(*x.shape[:-2], size, size)


def _load_digits(root: Path | None, image_size: int | None, download: bool) -> ImageData:
    """scikit-learn's 1797 8x8 digits (values 0..16), resized once and normalised to [-1, 1].

    The resize runs in float64 and is then rounded to float32, so the stored pixels (and the fingerprint)
    come out bit-identical on every machine.
    """
    size = image_size or 32
    images, targets = _digits_arrays()
    x = torch.from_numpy(images).unsqueeze(1) / 16.0
    if size != x.shape[-1]:
        x = _resize(x, size)
    pixels = ((x - 0.5) / 0.5).float().contiguous()
    return ImageData(
        name="digits",
        images=TensorImages(pixels, fill=-1.0),
        targets=targets,
        classes=[str(c) for c in range(10)],
        in_chans=1,
        image_size=size,
    )


def _digits_arrays() -> tuple[np.ndarray, np.ndarray]:
    """The images ``[1797, 8, 8]`` (float64, 0..16) and labels of the CSV that ships inside scikit-learn,
    read as ``sklearn.datasets.load_digits`` reads it but without importing scikit-learn, which would cost
    every job most of a second (tests/test_data.py checks both give the same arrays)."""
    spec = importlib.util.find_spec("sklearn")
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError("scikit-learn is needed for the digits data (it ships with it)")
    table = np.loadtxt(Path(spec.origin).parent / "datasets" / "data" / "digits.csv.gz", delimiter=",")
    return table[:, :-1].reshape(-1, 8, 8), table[:, -1].astype(np.int64)


@dataclass(frozen=True)
class _CifarLayout:
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


CIFAR10 = _CifarLayout(
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
CIFAR100 = _CifarLayout(
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


@lru_cache(maxsize=None)
def _channel_stats(mean: tuple[float, ...], std: tuple[float, ...], device: torch.device) -> tuple[Tensor, Tensor]:
    """``mean`` and ``std`` as ``[C, 1, 1]`` tensors, made once per device: a host-to-device copy per batch would
    make every batch wait for the one before."""
    return tuple(torch.tensor(v, device=device).view(-1, 1, 1) for v in (mean, std))


def _prepare_uint8(x: Tensor, *, mean: tuple[float, ...], std: tuple[float, ...], image_size: int) -> Tensor:
    """uint8-valued ``[..., C, H, W]`` -> float in [0, 1], resized if needed, normalised with ``mean``/``std``."""
    x = x.float().div(255)
    if x.shape[-1] != image_size or x.shape[-2] != image_size:
        x = _resize(x, image_size)
    mean_t, std_t = _channel_stats(mean, std, x.device)
    return x.sub_(mean_t).div_(std_t)


def _load_cifar(root: Path | None, image_size: int | None, download: bool, *, layout: _CifarLayout) -> ImageData:
    """The official train parts of a CIFAR archive followed by its test part, which is ``official_test``."""
    folder = _find_cifar_folder(_require_root(root, layout.name), layout, download)
    parts = [_read_cifar_part(folder / part, layout.label_key) for part in layout.parts]
    pixels = torch.from_numpy(np.concatenate([p for p, _ in parts]))
    targets = np.concatenate([t for _, t in parts])
    meta = _unpickle(folder / layout.meta)
    size = image_size or 32
    return ImageData(
        name=layout.name,
        images=TensorImages(pixels, partial(_prepare_uint8, mean=layout.mean, std=layout.std, image_size=size)),
        targets=targets,
        classes=[_text(n) for n in meta[layout.names_key]],
        in_chans=3,
        image_size=size,
        official_test=len(parts[-1][1]),
    )


def _require_root(root: Path | None, name: str) -> Path:
    if root is None:
        raise ValueError(f"dataset {name!r} needs a root folder; set data.root")
    return root


def _find_cifar_folder(root: Path, layout: _CifarLayout, download: bool) -> Path:
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


def _read_cifar_part(path: Path, label_key: str) -> tuple[np.ndarray, np.ndarray]:
    """One pickled batch -> (uint8 ``[n, 3, 32, 32]``, int64 labels ``[n]``)."""
    batch = _unpickle(path)
    data = np.asarray(batch["data"], dtype=np.uint8)
    labels = np.asarray(batch[label_key], dtype=np.int64)
    if data.ndim != 2 or data.shape[1] != 3 * 32 * 32 or len(labels) != len(data):
        raise ValueError(f"{path}: expected data [n, 3072] and n labels, got {data.shape} and {len(labels)}")
    return data.reshape(-1, 3, 32, 32), labels


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
    """Resolves only the globals in ``_ARCHIVE_GLOBALS``: pickle can run arbitrary code, so a tampered
    archive fails here instead of executing."""

    def find_class(self, module: str, name: str) -> Any:
        try:
            return _ARCHIVE_GLOBALS[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"refusing global {module}.{name} in a CIFAR archive") from None


def _unpickle(path: Path) -> dict[str, Any]:
    """A CIFAR archive file as a dict with str keys (Python 2 files give str keys, Python 3 ones bytes)."""
    with open(path, "rb") as f:
        content = _ArchiveUnpickler(f, encoding="latin1").load()
    return {_text(k): v for k, v in content.items()}


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _load_imagefolder(root: Path | None, image_size: int | None, download: bool) -> ImageData:
    """``root/<class>/<image>``, or ``root/train/<class>/<image>`` and ``root/test/<class>/<image>`` (the official
    parts, train first, with the same class folders), via torchvision's ImageFolder (classes sorted by name);
    pixels read per item. Other sub-folders beside ``train/`` and ``test/`` are not read."""
    root = _require_root(root, "imagefolder").resolve()
    if not root.is_dir():
        raise FileNotFoundError(f"image folder {root} does not exist; set data.root to a folder of class sub-folders")
    parts = imagefolder_parts(root)
    classes = imagefolder_classes(parts)
    folders = {name: tv_datasets.ImageFolder(str(folder), is_valid_file=is_image_file) for name, folder in parts.items()}
    samples = [sample for folder in folders.values() for sample in folder.samples]
    size = image_size or 224
    return ImageData(
        name="imagefolder",
        images=FileImages(root, tuple(Path(p).relative_to(root).as_posix() for p, _ in samples), size),
        targets=np.asarray([target for _, target in samples]),
        classes=classes,
        in_chans=3,
        image_size=size,
        official_test=len(folders["test"]) if "test" in folders else None,
    )


# --- splits ------------------------------------------------------------------------------------------------


def make_splits(
    targets: np.ndarray,
    *,
    val_fraction: float,
    test_fraction: float,
    transfer_size: int | None,
    seed: int,
    official_test: int | None = None,
) -> dict[str, list[int]]:
    """Stratified, seeded train/val/test split, and a stratified transfer subset of train.

    With ``official_test`` (:attr:`ImageData.official_test`) the last that many items are the test split and val
    is ``round(val_fraction * rest)`` items of the rest (the official train part); ``test_fraction`` is not used.
    Without it, test and then val are ``round(fraction * n)`` items of all ``n``. Sizes that cannot be made raise
    :class:`renyi_kd.data.split_plan.SplitSizeError`. The transfer set holds one item of every class first (when
    ``transfer_size >= num_classes``), the remainder shared out in proportion to class size;
    ``transfer_size=None`` means all of train. Returns sorted dataset indices for :data:`SPLIT_NAMES`.
    """
    from sklearn.model_selection import train_test_split  # here: only prepare_data splits, every job loads data

    y = np.asarray(targets)
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"targets must be a 1-D integer array, got dtype {y.dtype} and shape {y.shape}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    if official_test is not None and not 0 < official_test < len(y):
        raise ValueError(f"official_test must be None or in (0, {len(y)}), got {official_test!r}")
    n = len(y)
    pool = n - (official_test or 0)
    sizes = split_sizes(
        Census(pool, official_test, len(np.unique(y[:pool]))),
        val_fraction=val_fraction,
        test_fraction=test_fraction,
        transfer_size=transfer_size,
    )
    test_seed, val_seed, transfer_seed = np.random.SeedSequence(int(seed)).generate_state(3)
    if official_test is None:
        rest, test = train_test_split(np.arange(n), test_size=sizes.test, stratify=y, random_state=int(test_seed))
    else:
        rest, test = np.arange(pool), np.arange(pool, n)
    train, val = train_test_split(rest, test_size=sizes.val, stratify=y[rest], random_state=int(val_seed))
    transfer = _transfer_subset(train, y[train], transfer_size, np.random.default_rng(transfer_seed))
    parts = {"train": train, "val": val, "test": test, "transfer": transfer}
    return {name: sorted(int(i) for i in parts[name]) for name in SPLIT_NAMES}


def _transfer_subset(
    train: np.ndarray, labels: np.ndarray, size: int | None, rng: np.random.Generator
) -> np.ndarray:
    """``size`` items of ``train`` drawn per class (see :func:`make_splits`); uniform when too few for every class."""
    if size is None:
        return train
    classes, counts = np.unique(labels, return_counts=True)
    if size < len(classes):
        return rng.choice(train, size=size, replace=False)
    quotas = _class_quotas(counts, size)
    return np.concatenate([rng.choice(train[labels == c], size=q, replace=False) for c, q in zip(classes, quotas)])


def _class_quotas(counts: np.ndarray, size: int) -> np.ndarray:
    """One item per class plus the ``size - K`` others by largest remainder in proportion to ``counts - 1``.

    Integer arithmetic keeps every quota within its class count and the total exactly ``size``.
    """
    spare = counts.astype(np.int64) - 1
    extra = size - len(counts)
    total = int(spare.sum())
    if extra == 0 or total == 0:
        return np.ones_like(spare)
    quotas, remainders = np.divmod(spare * extra, total)
    left_over = extra - int(quotas.sum())
    quotas[np.argsort(-remainders, kind="stable")[:left_over]] += 1
    return quotas + 1


# --- fingerprints and split files ------------------------------------------------------------------------------


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

    ``official_test`` (as given to :func:`make_splits`) is recorded with where each split was drawn from.
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


# --- loaders -------------------------------------------------------------------------------------------------


class IndexedSubset(Dataset):
    """``data`` restricted to ``indices``; items are ``(x, y, idx)`` with ``idx`` the index into ``data``,
    so students can look up cached teacher logits by dataset index."""

    def __init__(self, data: ImageData, indices: Sequence[int]) -> None:
        positions = np.asarray(indices, dtype=np.int64).reshape(-1)
        if len(positions) and (positions.min() < 0 or positions.max() >= len(data)):
            raise IndexError(f"indices must lie in [0, {len(data)}) for {data.name}")
        self.data = data
        self.indices = positions

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, k: int) -> tuple[Tensor, int, int]:
        index = int(self.indices[k])
        x, y = self.data[index]
        return x, y, index


def loader_seed(seed: int, epoch: int) -> int:
    """The shuffling seed of one epoch, a pure function of (seed, epoch): a resumed run needs no saved RNG state."""
    if seed < 0 or not 0 <= epoch < EPOCH_STRIDE:
        raise ValueError(f"need seed >= 0 and 0 <= epoch < {EPOCH_STRIDE}, got seed={seed}, epoch={epoch}")
    return seed * EPOCH_STRIDE + epoch


def make_loader(
    data: ImageData,
    indices: Sequence[int],
    *,
    batch_size: int,
    shuffle: bool,
    seed: int,
    epoch: int = 0,
    num_workers: int = 0,
) -> DataLoader:
    """Batches of ``(x, y, idx)`` over ``indices``; the order (when shuffled) and worker seeds follow from
    ``loader_seed(seed, epoch)``."""
    return DataLoader(
        IndexedSubset(data, indices),
        batch_size=batch_size,
        shuffle=shuffle,
        generator=torch.Generator().manual_seed(loader_seed(seed, epoch)),
        num_workers=num_workers,
        pin_memory=torch.cuda.is_available(),
        persistent_workers=False,
    )
