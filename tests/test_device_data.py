"""Device-resident batches: make_loader's order and items, augmentation per image whatever the batch."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from renyi_kd.data.augment import AugmentPolicy
from renyi_kd.data import load_dataset, make_loader
from renyi_kd.data.device_batches import DeviceTensors, LoaderBatches, batch_source, epoch_order
from test_data import write_cifar10, write_image_tree


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits", image_size=16)


@pytest.fixture(scope="module")
def cifar(tmp_path_factory):
    root = tmp_path_factory.mktemp("cifar")
    write_cifar10(root / "cifar-10-batches-py", per_part=20)
    return load_dataset("cifar10", root=root)


def as_list(batches) -> list[tuple[torch.Tensor, ...]]:
    return [tuple(t.cpu() for t in batch) for batch in batches]


def assert_same_batches(ours, theirs) -> None:
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert all(torch.equal(x, y) and x.dtype == y.dtype for x, y in zip(a, b))


@pytest.mark.parametrize("dataset", ["digits", "cifar"])
@pytest.mark.parametrize(("shuffle", "seed", "epoch"), [(True, 0, 0), (True, 7, 3), (False, 7, 3)])
def test_batches_are_make_loaders(request, dataset: str, shuffle: bool, seed: int, epoch: int) -> None:
    data = request.getfixturevalue(dataset)
    indices = list(range(3, len(data), 2))[::-1]
    source = batch_source(data)
    assert isinstance(source, DeviceTensors)
    ours = as_list(source.batches(indices, batch_size=16, shuffle=shuffle, seed=seed, epoch=epoch))
    theirs = as_list(make_loader(data, indices, batch_size=16, shuffle=shuffle, seed=seed, epoch=epoch))
    assert_same_batches(ours, theirs)


def test_cifar_is_kept_as_uint8_and_resized_per_batch(tmp_path: Path) -> None:
    write_cifar10(tmp_path / "cifar-10-batches-py", per_part=4)
    data = load_dataset("cifar10", root=tmp_path, image_size=20)
    source = batch_source(data)
    assert source.pixels.dtype == torch.uint8
    ours = as_list(source.batches(range(24), batch_size=5, shuffle=True, seed=1, epoch=0))
    theirs = as_list(make_loader(data, range(24), batch_size=5, shuffle=True, seed=1, epoch=0))
    assert [b[2].tolist() for b in ours] == [b[2].tolist() for b in theirs]
    for a, b in zip(ours, theirs):
        torch.testing.assert_close(a[0], b[0], atol=1e-5, rtol=1e-5)


def test_epoch_order_is_the_loaders_order() -> None:
    for n, seed, epoch in [(1, 0, 0), (5, 2, 9), (1000, 3, 1)]:
        order = torch.cat([idx for _, _, idx in make_loader(load_dataset("digits", image_size=8), range(n),
                                                              batch_size=64, shuffle=True, seed=seed, epoch=epoch)])
        assert torch.equal(epoch_order(n, seed=seed, epoch=epoch), order)
    assert epoch_order(0, seed=0, epoch=0).tolist() == []


@pytest.mark.parametrize("name", ["cifar", "imagenet"])
def test_augmented_images_do_not_depend_on_the_batch(cifar, name: str) -> None:
    source = batch_source(cifar)
    policy = AugmentPolicy(name)
    runs = {
        batch_size: {int(i): x for xs, _, idx in source.batches(range(100), batch_size=batch_size, shuffle=True,
                                                                  seed=4, epoch=2, augment=policy)
                     for x, i in zip(xs, idx)}
        for batch_size in (7, 64)
    }
    assert sorted(runs[7]) == list(range(100))
    assert all(torch.equal(runs[7][i], runs[64][i]) for i in range(100))
    plain = {int(i): x for xs, _, idx in source.batches(range(100), batch_size=64, shuffle=True, seed=4, epoch=2)
             for x, i in zip(xs, idx)}
    changed = sum(not torch.equal(runs[7][i], plain[i]) for i in range(100))
    assert changed > 80  # (cifar: the 1/162 chance of offset 4, 4 without a flip leaves an image as it is)


def test_training_batches_show_the_exported_views(cifar) -> None:
    """Export view v of every image once (shuffle off), then train: each image shows the view picked for its
    (seed, epoch), pixel for pixel, so a cached view's teacher logits are the logits of what the student sees."""
    source = batch_source(cifar)
    policy = AugmentPolicy("cifar", views=4, view_seed=3)
    exported = [
        {int(i): x for xs, _, idx in source.batches(range(100), batch_size=32, shuffle=False, seed=0, augment=policy, view=v)
         for x, i in zip(xs, idx)}
        for v in range(4)
    ]
    for epoch in (0, 5):
        for xs, _, idx in source.batches(range(100), batch_size=16, shuffle=True, seed=9, epoch=epoch, augment=policy):
            views = policy.views_of(idx, seed=9, epoch=epoch)
            assert all(torch.equal(x, exported[int(v)][int(i)]) for x, i, v in zip(xs, idx, views))
    with pytest.raises(ValueError, match="policy"):
        source.batches(range(4), batch_size=4, shuffle=False, seed=0, view=1)


def test_cifar_augmentation_pads_with_black(cifar) -> None:
    """Padding happens on the stored uint8 pixels, so it is black after normalisation, as in the tables' recipe."""
    source = batch_source(cifar)
    x, _, _ = next(source.batches(range(64), batch_size=64, shuffle=False, seed=0, augment=AugmentPolicy("cifar")))
    black = source.prepare(torch.zeros(1, 3, 1, 1, dtype=torch.uint8))[0, :, 0, 0]
    corners = x[:, :, 0, 0]
    assert (corners == black).all(dim=1).any()


def test_image_folders_keep_the_loader(tmp_path: Path) -> None:
    write_image_tree(tmp_path / "images", per_class=4)
    data = load_dataset("imagefolder", root=tmp_path / "images", image_size=12)
    source = batch_source(data, num_workers=0)
    assert isinstance(source, LoaderBatches)
    policy = AugmentPolicy("cifar")
    ours = as_list(source.batches(range(len(data)), batch_size=4, shuffle=True, seed=2, epoch=1, augment=policy))
    theirs = as_list(make_loader(data, range(len(data)), batch_size=4, shuffle=True, seed=2, epoch=1))
    assert [b[2].tolist() for b in ours] == [b[2].tolist() for b in theirs]
    for (x, y, idx), (raw, y_raw, _) in zip(ours, theirs):
        assert torch.equal(y, y_raw)
        assert torch.equal(x, policy(raw, idx, seed=2, epoch=1, fill=data.images.fill))
    black = torch.tensor(data.images.fill)
    assert any((x[:, :, 0, 0] == black).all(dim=1).any() for x, _, _ in ours)  # padded with normalised black


def test_bad_indices_and_sources(digits, tmp_path: Path) -> None:
    with pytest.raises(IndexError):
        next(batch_source(digits).batches([len(digits)], batch_size=4, shuffle=False, seed=0))
    write_image_tree(tmp_path)
    with pytest.raises(TypeError, match="in-memory"):
        DeviceTensors(load_dataset("imagefolder", root=tmp_path), "cpu")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_batches_on_the_gpu_equal_the_cpus(cifar) -> None:
    policy = AugmentPolicy("cifar")
    kwargs = dict(batch_size=32, shuffle=True, seed=1, epoch=3, augment=policy)
    cpu = as_list(batch_source(cifar, "cpu").batches(range(120), **kwargs))
    gpu = list(batch_source(cifar, "cuda").batches(range(120), **kwargs))
    assert all(t.is_cuda for batch in gpu for t in batch)
    for a, b in zip(cpu, as_list(gpu)):
        torch.testing.assert_close(a[0], b[0])
        assert torch.equal(a[1], b[1]) and torch.equal(a[2], b[2])
