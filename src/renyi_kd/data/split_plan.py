"""Split sizes from the data config alone: no pixels loaded, no torch imported, so configs are checked before any job.

A dataset's :class:`Census` (in its record of :data:`renyi_kd.data.registry.DATASETS`) is what its sizes are known
by: the items of the pool that train and val are drawn from, the items of its official test part (``None`` where it
has none) and its classes. Where a dataset has an official test part (CIFAR, an image folder with ``train/`` and
``test/``), that part is the test split and val is ``round(val_fraction * pool)`` items of the official train part;
otherwise val and test are ``round(fraction * pool)`` items of one pool. The transfer set is ``transfer_size`` items
of train (``None``: all of it), drawn from the classes ``omit_classes`` does not name (the dark-knowledge
experiment: those classes keep every image in train, val and test). Every stratified part needs at least one item
per class. :func:`split_sizes` is the
one place these sizes are computed: :func:`renyi_kd.data.splits.make_splits` uses it on the loaded targets,
:func:`plan_splits` on the config.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from renyi_kd.data.registry import DATASETS, Census

__all__ = [
    "Census",
    "SplitSizes",
    "SplitSizeError",
    "census",
    "split_sizes",
    "plan_splits",
]


class SplitSizeError(ValueError):
    """Split sizes that cannot be made; ``key`` is the config key to change (``data.val_fraction``, ...)."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


@dataclass(frozen=True)
class SplitSizes:
    """Items in each split; ``official_test``: test is the dataset's official test part."""

    train: int
    val: int
    test: int
    transfer: int
    official_test: bool

    def describe(self) -> str:
        test = "official test part" if self.official_test else "drawn from the pool"
        return f"train {self.train}, val {self.val}, test {self.test} ({test}), transfer {self.transfer}"


def census(data_config: Mapping[str, Any]) -> Census:
    """The census of the configured dataset (its record's, counted in ``data.root`` where it depends on the files)."""
    name = data_config["name"]
    if name not in DATASETS:
        raise SplitSizeError("data.name", f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    try:
        return DATASETS[name].sizes(data_config.get("root"))
    except SplitSizeError:
        raise
    except ValueError as error:  # no folder to count the files in
        raise SplitSizeError("data.root", str(error)) from None


def _check_fraction(key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 < value < 1:
        raise SplitSizeError(key, f"{key.rsplit('.', 1)[-1]} must be a number in (0, 1), got {value!r}")
    return float(value)


def split_sizes(
    sizes: Census,
    *,
    val_fraction: float,
    test_fraction: float,
    transfer_size: int | None,
    omit_classes: Sequence[int] = (),
) -> SplitSizes:
    """The size of every split (see the module docstring), or :class:`SplitSizeError` naming the key to change.

    ``test_fraction`` is not used where the dataset has an official test part.
    """
    n, k = sizes.pool, sizes.num_classes
    val_fraction = _check_fraction("data.val_fraction", val_fraction)
    n_val = round(n * val_fraction)
    if sizes.official_test is None:
        test_fraction = _check_fraction("data.test_fraction", test_fraction)
        n_test = round(n * test_fraction)
        if val_fraction + test_fraction >= 1 or n - n_val - n_test < k:
            raise SplitSizeError(
                "data.val_fraction",
                f"val_fraction + test_fraction = {val_fraction} + {test_fraction} leaves {max(n - n_val - n_test, 0)} of "
                f"{n} items for train (val {n_val}, test {n_test}); train needs at least one item per class ({k})",
            )
        parts = {"data.test_fraction": ("test", n_test), "data.val_fraction": ("val", n_val)}
    else:
        n_test = sizes.official_test
        if n - n_val < k:
            raise SplitSizeError(
                "data.val_fraction",
                f"val_fraction {val_fraction} leaves {n - n_val} of the {n} items of the official train part for "
                f"train (val {n_val}); train needs at least one item per class ({k})",
            )
        parts = {"data.val_fraction": ("val", n_val)}
    for key, (part, size) in parts.items():
        if size < k:
            raise SplitSizeError(
                key,
                f"{key.rsplit('.', 1)[-1]} gives {part} {size} of {n} items, fewer than the {k} classes; "
                f"a stratified part needs at least one item per class",
            )
    n_train = n - n_val - (0 if sizes.official_test is not None else n_test)
    if transfer_size is not None and (
        isinstance(transfer_size, bool) or not isinstance(transfer_size, numbers.Integral) or not 1 <= transfer_size <= n_train
    ):
        raise SplitSizeError(
            "data.transfer_size",
            f"transfer_size must be null or an integer from 1 to the {n_train} items of train "
            f"(of {n + (sizes.official_test or 0)} items: val {n_val}, test {n_test}), got {transfer_size!r}",
        )
    _check_omitted(omit_classes, k)
    return SplitSizes(
        train=n_train,
        val=n_val,
        test=n_test,
        transfer=n_train if transfer_size is None else int(transfer_size),
        official_test=sizes.official_test is not None,
    )


def plan_splits(data_config: Mapping[str, Any]) -> SplitSizes:
    """Split sizes of a ``data`` config section (defaults filled in); raises :class:`SplitSizeError`."""
    return split_sizes(
        census(data_config),
        val_fraction=data_config["val_fraction"],
        test_fraction=data_config["test_fraction"],
        transfer_size=data_config["transfer_size"],
        omit_classes=data_config.get("omit_classes", ()),
    )


def _check_omitted(omit_classes: Sequence[int], num_classes: int) -> None:
    """Class indices of the data, not all of them (the schema has checked that they are distinct non-negative
    integers; the transfer set's own size is checked on the targets, by :func:`renyi_kd.data.splits.make_splits`,
    where the class sizes are known)."""
    if any(c >= num_classes for c in omit_classes) or len(set(omit_classes)) >= num_classes:
        raise SplitSizeError(
            "data.omit_classes",
            f"omit_classes must name distinct class indices from 0 to {num_classes - 1} and leave at least one "
            f"class in the transfer set, got {list(omit_classes)!r}",
        )
