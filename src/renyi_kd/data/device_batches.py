"""Batches ``(x, y, idx)`` of a split, in :func:`renyi_kd.data.dataloader.make_loader`'s order, augmented and normalised
as whole batches on the training device.

In-memory datasets (:class:`~renyi_kd.data.images.TensorImages`: digits, CIFAR) are moved to the device once, as they
are stored (uint8 for CIFAR); a batch is one gather, one batched augmentation and one batched normalisation
there: no per-image work on the CPU and no worker processes. Image folders (:class:`~renyi_kd.data.images.FileImages`)
keep the DataLoader, which reads files per item, and are augmented per batch on the device. Either way ``x`` is
normalised float, ``y`` the targets and ``idx`` the dataset indices, all on the device, and the order of an
epoch is a function of (seed, epoch) alone.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import singledispatch

import torch
from torch import Tensor

from renyi_kd.data.augment import AugmentPolicy, take
from renyi_kd.data.dataloader import loader_seed, make_loader
from renyi_kd.data.images import FileImages, ImageData, ImageSource, TensorImages

__all__ = ["Batch", "BatchSource", "DeviceTensors", "LoaderBatches", "batch_source", "epoch_order"]

Batch = tuple[Tensor, Tensor, Tensor]


def epoch_order(n: int, *, seed: int, epoch: int) -> Tensor:
    """Positions ``0..n-1`` in the order ``make_loader(..., shuffle=True, seed, epoch)`` visits them.

    The same draws from the same generator: a DataLoader's iterator first draws a worker base seed from it, then
    its RandomSampler draws ``randperm(n)`` (tests/test_device_data.py checks this against make_loader).
    """
    generator = torch.Generator().manual_seed(loader_seed(seed, epoch))
    torch.empty((), dtype=torch.int64).random_(generator=generator)
    return torch.randperm(n, generator=generator)


class BatchSource:
    """What the training loop iterates over, one epoch at a time; subclasses say how a batch is made."""

    size: int  # items in the dataset

    def batches(
        self,
        indices: Sequence[int],
        *,
        batch_size: int,
        shuffle: bool,
        seed: int,
        epoch: int = 0,
        augment: AugmentPolicy | None = None,
        view: int | None = None,
    ) -> Iterator[Batch]:
        """``(x, y, idx)`` over ``indices``: shuffled as :func:`epoch_order`, else in the order given; training
        images augmented by ``augment`` (leave it None for validation and test), or showing its fixed view
        ``view`` (the teacher-logit export of that view)."""
        order = torch.as_tensor(indices, dtype=torch.int64).reshape(-1)
        if len(order) and (order.min() < 0 or order.max() >= self.size):
            raise IndexError(f"indices must lie in [0, {self.size})")
        if shuffle:
            order = order[epoch_order(len(order), seed=seed, epoch=epoch)]
        if view is not None and augment is None:
            raise ValueError("a fixed view needs the augmentation policy that defines it")
        return self._batches(order, batch_size, seed, epoch, augment, view)

    def _batches(
        self, order: Tensor, batch_size: int, seed: int, epoch: int, augment: AugmentPolicy | None, view: int | None
    ) -> Iterator[Batch]:
        raise NotImplementedError


class DeviceTensors(BatchSource):
    """An in-memory dataset resident on ``device`` as stored; batches are gathered, augmented and normalised there."""

    def __init__(self, data: ImageData, device: torch.device | str) -> None:
        images = data.images
        if not isinstance(images, TensorImages):
            raise TypeError(f"{data.name}: device-resident batches need in-memory images, got {type(images).__name__}")
        self.device = torch.device(device)
        self.size = len(data)
        self.pixels = images.pixels.to(self.device)
        self.targets = torch.tensor(data.targets, device=self.device)
        self.prepare = images.prepare
        self.fill = images.fill

    def _batches(
        self, order: Tensor, batch_size: int, seed: int, epoch: int, augment: AugmentPolicy | None, view: int | None
    ) -> Iterator[Batch]:
        order = order.to(self.device)
        # One draw for the whole epoch: a few dozen operations on all its images instead of on every batch.
        size = tuple(self.pixels.shape[-2:])
        params = augment.draws(order, seed=seed, epoch=epoch, size=size, view=view) if augment is not None else None
        for start in range(0, len(order), batch_size):
            rows = slice(start, start + batch_size)
            idx = order[rows]
            x = self.pixels[idx]
            if params is not None:
                x = augment.apply(x, take(params, rows), fill=self.fill)
            yield (x if self.prepare is None else self.prepare(x)), self.targets[idx], idx


class LoaderBatches(BatchSource):
    """Items read by :func:`~renyi_kd.data.dataloader.make_loader` (workers, pinned memory), augmented per batch on ``device``."""

    def __init__(self, data: ImageData, device: torch.device | str, num_workers: int = 0) -> None:
        self.data = data
        self.size = len(data)
        self.device = torch.device(device)
        self.num_workers = num_workers

    def _batches(
        self, order: Tensor, batch_size: int, seed: int, epoch: int, augment: AugmentPolicy | None, view: int | None
    ) -> Iterator[Batch]:
        loader = make_loader(
            self.data, order.tolist(), batch_size=batch_size, shuffle=False, seed=seed, epoch=epoch,
            num_workers=self.num_workers,
        )
        for x, y, idx in loader:
            x, y, idx = (t.to(self.device, non_blocking=True) for t in (x, y, idx))
            if augment is not None:
                x = augment(x, idx, seed=seed, epoch=epoch, view=view, fill=self.data.images.fill)
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
