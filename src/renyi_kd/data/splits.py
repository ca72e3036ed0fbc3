"""Stratified, seeded train/val/test splits of a dataset's items, and the student's transfer subset of train.

Where a dataset has an official test part (CIFAR; an image folder with ``train/`` and ``test/``), that part is the
test split and val is a stratified part of the official train part. Otherwise (digits, a plain image folder)
train/val/test is a stratified split of one pool. Split sizes come from
:func:`renyi_kd.data.split_plan.split_sizes`, which the config validation runs before any job.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from renyi_kd.data.registry import Census
from renyi_kd.data.split_plan import SplitSizeError, split_sizes

__all__ = ["SPLIT_NAMES", "make_splits"]

SPLIT_NAMES = ("train", "val", "test", "transfer")


def make_splits(
    targets: np.ndarray,
    *,
    val_fraction: float,
    test_fraction: float,
    transfer_size: int | None,
    seed: int,
    official_test: int | None = None,
    omit_classes: Sequence[int] = (),
) -> dict[str, list[int]]:
    """Stratified, seeded train/val/test split, and a stratified transfer subset of train.

    With ``official_test`` (:attr:`ImageData.official_test`) the last that many items are the test split and val
    is ``round(val_fraction * rest)`` items of the rest (the official train part); ``test_fraction`` is not used.
    Without it, test and then val are ``round(fraction * n)`` items of all ``n``. Sizes that cannot be made raise
    :class:`renyi_kd.data.split_plan.SplitSizeError`. The transfer set holds one item of every class first (when
    ``transfer_size >= num_classes``), the remainder shared out in proportion to class size;
    ``transfer_size=None`` means all of train. ``omit_classes``: the transfer set is drawn from the train items of
    the other classes only; train, val and test are the same as without it. Returns sorted dataset indices for
    :data:`SPLIT_NAMES`.
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
        omit_classes=omit_classes,
    )
    test_seed, val_seed, transfer_seed = np.random.SeedSequence(int(seed)).generate_state(3)
    if official_test is None:
        rest, test = train_test_split(np.arange(n), test_size=sizes.test, stratify=y, random_state=int(test_seed))
    else:
        rest, test = np.arange(pool), np.arange(pool, n)
    train, val = train_test_split(rest, test_size=sizes.val, stratify=y[rest], random_state=int(val_seed))
    shown = train[~np.isin(y[train], list(omit_classes))]
    if transfer_size is not None and transfer_size > len(shown):
        raise SplitSizeError(
            "data.transfer_size",
            f"transfer_size {transfer_size} is more than the {len(shown)} train items outside omit_classes "
            f"{list(omit_classes)}",
        )
    transfer = _transfer_subset(shown, y[shown], transfer_size, np.random.default_rng(transfer_seed))
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
