"""Batches of a split in an order that is a function of (seed, epoch) alone, items carrying their dataset index."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import Tensor
from torch.utils.data import DataLoader, Dataset

from renyi_kd.data.images import ImageData

__all__ = ["EPOCH_STRIDE", "IndexedSubset", "loader_seed", "make_loader"]

# Seeds of different epochs must not collide: seed * EPOCH_STRIDE + epoch is unique while epoch < EPOCH_STRIDE.
EPOCH_STRIDE = 100003


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
