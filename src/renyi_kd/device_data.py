"""Batches ``(x, y, idx)`` of a split, in :func:`renyi_kd.data.make_loader`'s order, augmented and normalised
as whole batches on the training device.

In-memory datasets (:class:`~renyi_kd.data.TensorImages`: digits, CIFAR) are moved to the device once, as they
are stored (uint8 for CIFAR); a batch is one gather, one batched augmentation and one batched normalisation
there: no per-image work on the CPU and no worker processes. Image folders (:class:`~renyi_kd.data.FileImages`)
keep the DataLoader, which reads files per item, and are augmented per batch on the device. Either way ``x`` is
normalised float, ``y`` the targets and ``idx`` the dataset indices, all on the device, and the order of an
epoch is a function of (seed, epoch) alone.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import singledispatch
from typing import Protocol

import torch
from torch import Tensor
from torch.utils.data import DataLoader

from renyi_kd.augment import AugmentPolicy
from renyi_kd.data import FileImages, ImageData, ImageSource, TensorImages, loader_seed, make_loader

__all__ = ["Batch", "BatchSource", "DeviceTensors", "LoaderBatches", "batch_source", "epoch_order"]

Batch = tuple[Tensor, Tensor, Tensor]


def epoch_order(n: int, *, seed: int, epoch: int) -> Tensor:
    """Positions ``0..n-1`` in the order ``make_loader(..., shuffle=True, seed, epoch)`` visits them.

    Drawn by the very sampler and generator a DataLoader uses (the loader draws a worker base seed from the
    generator before the permutation), so the two orders cannot drift apart; cheap next to an epoch.
    """
    if n == 0:
        return torch.zeros(0, dtype=torch.int64)
    generator = torch.Generator().manual_seed(loader_seed(seed, epoch))
    return next(iter(DataLoader(range(n), batch_size=n, shuffle=True, generator=generator)))


class BatchSource(Protocol):
    """What the training loop iterates over, one epoch at a time."""

    def batches(
        self,
        indices: Sequence[int],
        *,
        batch_size: int,
        shuffle: bool,
        seed: int,
        epoch: int = 0,
        augment: AugmentPolicy | None = None,
    ) -> Iterator[Batch]: ...


class DeviceTensors:
    """An in-memory dataset resident on ``device`` as stored; batches are gathered, augmented and normalised there."""

    def __init__(self, data: ImageData, device: torch.device | str) -> None:
        images = data.images
        if not isinstance(images, TensorImages):
            raise TypeError(f"{data.name}: device-resident batches need in-memory images, got {type(images).__name__}")
        self.device = torch.device(device)
        self.pixels = images.pixels.to(self.device)
        self.targets = torch.tensor(data.targets, device=self.device)
        self.prepare = images.prepare
        self.fill = images.fill

    def batches(
        self,
        indices: Sequence[int],
        *,
        batch_size: int,
        shuffle: bool,
        seed: int,
        epoch: int = 0,
        augment: AugmentPolicy | None = None,
    ) -> Iterator[Batch]:
        """``(x, y, idx)`` over ``indices``: shuffled as :func:`epoch_order`, else in the order given."""
        subset = torch.as_tensor(indices, dtype=torch.int64).reshape(-1)
        if len(subset) and (subset.min() < 0 or subset.max() >= len(self.targets)):
            raise IndexError(f"indices must lie in [0, {len(self.targets)})")
        if shuffle:
            subset = subset[epoch_order(len(subset), seed=seed, epoch=epoch)]
        subset = subset.to(self.device)
        for start in range(0, len(subset), batch_size):
            idx = subset[start : start + batch_size]
            x = self.pixels[idx]
            if augment is not None:
                x = augment(x, idx, seed=seed, epoch=epoch, fill=self.fill)
            yield (x if self.prepare is None else self.prepare(x)), self.targets[idx], idx


class LoaderBatches:
    """Items read by :func:`~renyi_kd.data.make_loader` (workers, pinned memory), augmented per batch on ``device``."""

    def __init__(self, data: ImageData, device: torch.device | str, num_workers: int = 0) -> None:
        self.data = data
        self.device = torch.device(device)
        self.num_workers = num_workers

    def batches(
        self,
        indices: Sequence[int],
        *,
        batch_size: int,
        shuffle: bool,
        seed: int,
        epoch: int = 0,
        augment: AugmentPolicy | None = None,
    ) -> Iterator[Batch]:
        loader = make_loader(
            self.data, indices, batch_size=batch_size, shuffle=shuffle, seed=seed, epoch=epoch,
            num_workers=self.num_workers,
        )
        for x, y, idx in loader:
            x, y, idx = (t.to(self.device, non_blocking=True) for t in (x, y, idx))
            if augment is not None:
                x = augment(x, idx, seed=seed, epoch=epoch, fill=self.data.images.fill)
            yield x, y, idx


@singledispatch
def _source_for(images: ImageSource, data: ImageData, device: torch.device | str, num_workers: int) -> BatchSource:
    raise TypeError(f"no batch source for images of type {type(images).__name__}")


@_source_for.register
def _(images: TensorImages, data: ImageData, device: torch.device | str, num_workers: int) -> BatchSource:
    return DeviceTensors(data, device)


@_source_for.register
def _(images: FileImages, data: ImageData, device: torch.device | str, num_workers: int) -> BatchSource:
    return LoaderBatches(data, device, num_workers)


def batch_source(data: ImageData, device: torch.device | str = "cpu", *, num_workers: int = 0) -> BatchSource:
    """The batch source for ``data`` on ``device``, chosen by how its images are stored (a registry by type);
    make it once per job: for in-memory data it holds the dataset on the device. ``num_workers``: file reading."""
    return _source_for(data.images, data, device, num_workers)
