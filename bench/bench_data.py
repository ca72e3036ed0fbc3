"""Training-epoch throughput of the device-resident data path against a bare PyTorch loop.

Usage: python bench/bench_data.py [--images 2048] [--batch 64] [--model resnet20] [--device cpu|cuda] [--repeats 5]
Both loops train the same model with the same batch size, optimiser and CIFAR augmentation on a CIFAR-100-format
archive (random pixels, written to a temporary folder); the bare loop indexes a tensor itself. The per-item
DataLoader that make_loader builds is timed too, for reference. Goal: the device path at least 90% of the bare
loop. Epochs are interleaved and the median is reported, since a shared machine is noisy. Not a test.
"""

from __future__ import annotations

import argparse
import pickle
import statistics
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from renyi_kd.data.augment import AugmentPolicy, augment
from renyi_kd.data import ImageData, load_dataset, make_loader
from renyi_kd.data.device_batches import batch_source
from renyi_kd.models.factory import create_model

SEED = 0


def write_archive(folder: Path, images: int) -> None:
    """A CIFAR-100 python archive of random images (``images`` train, 10 test)."""
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True)
    for part, n in (("train", images), ("test", 10)):
        content = {"data": rng.integers(0, 256, size=(n, 3072), dtype=np.uint8), "fine_labels": rng.integers(0, 100, n).tolist()}
        (folder / part).write_bytes(pickle.dumps(content))
    (folder / "meta").write_bytes(pickle.dumps({"fine_label_names": [f"c{i}" for i in range(100)]}))


def bare_loop(data: ImageData, batch_size: int, device: torch.device) -> Callable[[list[int], int], Iterable]:
    """The loop a PyTorch user writes with the data already in a tensor on the device."""
    pixels = data.images.pixels.to(device)
    targets = torch.tensor(data.targets, device=device)
    mean = torch.tensor((0.5071, 0.4865, 0.4409), device=device).view(1, 3, 1, 1)
    std = torch.tensor((0.2673, 0.2564, 0.2762), device=device).view(1, 3, 1, 1)

    def batches(indices: list[int], epoch: int) -> Iterable:
        order = torch.as_tensor(indices)[torch.randperm(len(indices), generator=torch.Generator().manual_seed(epoch))]
        order = order.to(device)
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            x = augment(pixels[idx], idx, name="cifar", seed=SEED, epoch=epoch)
            yield (x.float() / 255 - mean) / std, targets[idx], idx

    return batches


def timed_epoch(batches: Iterable, step: Callable[[torch.Tensor, torch.Tensor], None], device: torch.device) -> float:
    """Images per second of one pass over ``batches``, each fed to ``step``."""
    start, count = time.perf_counter(), 0
    for x, y, _ in batches:
        step(x, y)
        count += len(y)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return count / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=2048)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--model", default="resnet20")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)

    with tempfile.TemporaryDirectory() as tmp:
        write_archive(Path(tmp) / "cifar-100-python", args.images)
        data = load_dataset("cifar100", root=tmp)
    indices = list(range(args.images))
    torch.manual_seed(SEED)
    model = create_model(args.model, in_chans=3, num_classes=100).to(device).train()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)

    def train_step(x: torch.Tensor, y: torch.Tensor) -> None:
        loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    def data_only(x: torch.Tensor, y: torch.Tensor) -> None:
        x.sum()

    source = batch_source(data, device)
    bare = bare_loop(data, args.batch, device)
    policy = AugmentPolicy("cifar")

    def loader_batches(epoch: int) -> Iterable:
        for x, y, idx in make_loader(data, indices, batch_size=args.batch, shuffle=True, seed=SEED, epoch=epoch):
            x, y, idx = x.to(device), y.to(device), idx.to(device)
            yield policy(x, idx, seed=SEED, epoch=epoch, fill=data.images.fill), y, idx

    paths = {
        "device path": lambda e: source.batches(indices, batch_size=args.batch, shuffle=True, seed=SEED, epoch=e, augment=policy),
        "bare loop": lambda e: bare(indices, e),
        "per-item DataLoader": loader_batches,
    }
    print(f"device={device} model={args.model} images={args.images} batch={args.batch} threads={args.threads} "
          f"repeats={args.repeats} (median images/s; first epoch of each path not timed)")
    for label, step in (("data only", data_only), ("training epoch", train_step)):
        speeds: dict[str, list[float]] = {name: [] for name in paths}
        for epoch in range(args.repeats + 1):
            for name, batches in paths.items():
                speed = timed_epoch(batches(epoch), step, device)
                if epoch:
                    speeds[name].append(speed)
        medians = {name: statistics.median(values) for name, values in speeds.items()}
        print(f"\n{label}")
        for name, value in medians.items():
            print(f"  {name:<22}{value:>12,.0f} images/s  ({value / medians['bare loop']:.2f} of bare)")
    print(f"\ndevice path / bare loop, training epoch: {medians['device path'] / medians['bare loop']:.2f} (goal >= 0.90)")


if __name__ == "__main__":
    main()
