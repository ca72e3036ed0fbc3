"""The registry of datasets: every dataset is one :class:`DatasetRecord` in :data:`DATASETS`.

The config schema's ``data.name``, the config checks, the split plan and :func:`load_dataset` read this registry;
nothing else lists datasets. Pure Python (no torch, no numpy), so configs are checked without them: a record names
its loader by import path (``"module:function"``) or holds it directly, and it is imported on first load.

A new dataset is one loader function and one record::

    def load_emnist(root, *, image_size, download):      # -> renyi_kd.data.ImageData, train part first
        ...

    register_dataset(DatasetRecord(name="emnist", loader=load_emnist, census=Census(112800, 18800, 47),
                                   in_chans=1, image_size=28, default_root="/usr/share/emnist"))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from renyi_kd.data.images import ImageData

__all__ = [
    "Census",
    "DATASETS",
    "DatasetRecord",
    "Loader",
    "get_dataset",
    "load_dataset",
    "register_dataset",
    "unregister_dataset",
]


@dataclass(frozen=True)
class Census:
    """Sizes of a dataset known without its pixels.

    ``pool`` items are drawn into train and val (and test, when ``official_test`` is None); the
    ``official_test`` items after them are the official test part.
    """

    pool: int
    official_test: int | None
    num_classes: int


class Loader(Protocol):
    """Reads a dataset as one pool of items, the official train part first and then the official test part
    (whose size is :attr:`ImageData.official_test`). ``root`` is None only for a dataset that needs none;
    ``image_size`` is the side the images come out with; ``download``: fetch the files into ``root`` if absent."""

    def __call__(self, root: Path | None, *, image_size: int, download: bool) -> ImageData: ...


@lru_cache(maxsize=None)
def _import(ref: str) -> Callable[..., Any]:
    module, _, attr = ref.partition(":")
    return getattr(import_module(module), attr)


@dataclass(frozen=True)
class DatasetRecord:
    """A dataset as data.

    ``loader``: a :class:`Loader` or its import path ``"module:function"``. ``census``: the sizes (pool, official
    test part, classes), or a function of the data folder that counts them (image folders). ``in_chans`` and
    ``image_size``: the channels of its images and their default side. ``needs_root``: it is read from a folder
    (``data.root``), ``default_root`` where that folder is when ``data.root`` is null (a system package's folder,
    say), ``install_hint`` how to get the files there (said when the folder is missing). ``can_download``: the
    loader fetches the files into a missing folder when ``data.download`` is true.
    """

    name: str
    loader: Loader | str
    census: Census | Callable[[Path], Census]
    in_chans: int
    image_size: int
    needs_root: bool = True
    default_root: str | None = None
    can_download: bool = False
    install_hint: str = ""
    description: str = ""

    def __post_init__(self) -> None:
        if not self.needs_root and (self.default_root is not None or self.can_download):
            raise ValueError(f"dataset {self.name!r} needs no folder: it has no default folder and downloads nothing")
        if self.in_chans < 1 or self.image_size < 1:
            raise ValueError(f"dataset {self.name!r}: in_chans and image_size must be positive")

    def root(self, given: str | Path | None) -> Path | None:
        """The folder to read: ``given``, else the default folder; None for a dataset that needs none.

        Raises ValueError naming ``data.root`` where a folder is needed and none is known.
        """
        if not self.needs_root:
            return None
        chosen = self.default_root if given is None else given
        if chosen is None:
            raise ValueError(f"dataset {self.name!r} needs a root folder; set data.root")
        return Path(chosen).expanduser()

    def sizes(self, root: str | Path | None = None) -> Census:
        """The census; where it depends on the files, counted in the folder (``root``, else the default one)."""
        return self.census if isinstance(self.census, Census) else self.census(self.root(root))

    def load(
        self, root: str | Path | None = None, *, image_size: int | None = None, download: bool = False
    ) -> ImageData:
        """The dataset as one pool of items (see :class:`Loader`); ``image_size`` None: the record's default."""
        if image_size is not None and (
            isinstance(image_size, bool) or not isinstance(image_size, int) or image_size < 1
        ):
            raise ValueError(f"image_size must be a positive integer or None, got {image_size!r}")
        loader = _import(self.loader) if isinstance(self.loader, str) else self.loader
        data = loader(self.root(root), image_size=image_size or self.image_size, download=download)
        if (data.name, data.in_chans) != (self.name, self.in_chans):
            raise ValueError(f"the loader of {self.name!r} gave {data.name!r} with {data.in_chans} channels; "
                             f"its record says {self.name!r} with {self.in_chans}")
        return data


DATASETS: dict[str, DatasetRecord] = {}


def register_dataset(record: DatasetRecord) -> DatasetRecord:
    """Add ``record`` to :data:`DATASETS`; a name can be registered once."""
    if record.name in DATASETS:
        raise ValueError(f"dataset {record.name!r} is registered already")
    DATASETS[record.name] = record
    return record


def unregister_dataset(name: str) -> None:
    """Remove a dataset (tests register toy datasets and remove them again)."""
    del DATASETS[name]


def get_dataset(name: str) -> DatasetRecord:
    if name not in DATASETS:
        raise ValueError(f"unknown dataset name {name!r}; choose one of {', '.join(DATASETS)}")
    return DATASETS[name]


def load_dataset(
    name: str, *, root: str | Path | None = None, image_size: int | None = None, download: bool = False
) -> ImageData:
    """Load the registered dataset ``name`` as one pool of items (:meth:`DatasetRecord.load`).

    ``root`` is ignored for a dataset that needs no folder (digits ships with scikit-learn); ``download`` applies
    to the datasets that can fetch their files.
    """
    return get_dataset(name).load(root, image_size=image_size, download=download)
