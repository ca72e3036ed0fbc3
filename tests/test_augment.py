"""Augmentation: a pure function of (seed, epoch, image, view), batch- and device-independent, torchvision's rules."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torchvision.transforms.functional as TF
from torchvision.transforms import RandomResizedCrop

from renyi_kd.data.augment import (
    AUGMENTATIONS,
    CIFAR_PADDING,
    AugmentPolicy,
    _fmix32,
    _flips,
    _mul32,
    augment,
    draw_keys,
    pick_view,
    resized_crop_boxes,
)

N = 48


@pytest.fixture(scope="module")
def images() -> torch.Tensor:
    return torch.randint(0, 256, (N, 3, 32, 32), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))


def indices() -> torch.Tensor:
    return torch.arange(1000, 1000 + N)


@pytest.mark.parametrize("name", list(AUGMENTATIONS))
def test_an_image_gets_the_same_draw_in_any_batch(images, name: str) -> None:
    whole = augment(images, indices(), name=name, seed=3, epoch=5)
    order = torch.randperm(N, generator=torch.Generator().manual_seed(1))[:17]
    part = augment(images[order], indices()[order], name=name, seed=3, epoch=5)
    assert whole.shape == images.shape and torch.equal(part, whole[order])


@pytest.mark.parametrize("name", [n for n in AUGMENTATIONS if n != "none"])
def test_draws_change_with_seed_epoch_and_view(images, name: str) -> None:
    def run(**changes):
        return augment(images, indices(), name=name, **({"seed": 3, "epoch": 5} | changes))

    first = run()
    assert torch.equal(run(), first)
    for changes in ({"seed": 4}, {"epoch": 6}, {"view": 1}, {"seed": 3 + 2**32}):
        assert not torch.equal(run(**changes), first), changes


def test_none_is_the_identity(images) -> None:
    assert augment(images, indices(), name="none", seed=0, epoch=0) is images


def test_cifar_crop_is_a_window_of_the_padded_image(images) -> None:
    """Every output is exactly one (offset, flip) window of the zero-padded image, as RandomCrop(32, padding=4)
    then RandomHorizontalFlip make it."""
    p = CIFAR_PADDING
    out = augment(images, indices(), name="cifar", seed=0, epoch=0)
    assert out.dtype == torch.uint8
    for image, result in zip(images, out):
        padded = TF.pad(image, [p])
        windows = [TF.crop(padded, top, left, 32, 32) for top in range(2 * p + 1) for left in range(2 * p + 1)]
        assert sum(torch.equal(w, result) + torch.equal(TF.hflip(w), result) for w in windows) == 1


def test_cifar_offsets_and_flips_are_uniform() -> None:
    """On a 9x9 image numbered 1..81 the centre pixel (41) always stays in the window; where it lands gives the
    offset, its neighbour 40 or 42 the flip. All 9 x 9 x 2 outcomes occur, about equally often."""
    n = 8100
    numbered = torch.arange(1, 82, dtype=torch.float32).view(1, 1, 9, 9).expand(n, 1, 9, 9)
    out = augment(numbered, torch.arange(n), name="cifar", seed=1, epoch=2)[:, 0].numpy()
    counts: dict[tuple[int, int, bool], int] = {}
    for window in out:
        r, c = (int(v) for v in np.argwhere(window == 41)[0])
        flipped = (c + 1 <= 8 and window[r, c + 1] == 40) or (c >= 1 and window[r, c - 1] == 42)
        outcome = (8 - r, c if flipped else 8 - c, bool(flipped))
        counts[outcome] = counts.get(outcome, 0) + 1
    assert len(counts) == 162
    assert 20 <= min(counts.values()) and max(counts.values()) <= 90  # expected 50 each


def test_cifar_pads_with_the_fill_of_each_channel() -> None:
    white = torch.full((64, 3, 8, 8), 9.0)
    out = augment(white, torch.arange(64), name="cifar", seed=0, epoch=0, fill=(-1.0, -2.0, -3.0))
    values = {c: set(out[:, c].unique().tolist()) for c in range(3)}
    assert values == {0: {9.0, -1.0}, 1: {9.0, -2.0}, 2: {9.0, -3.0}}


def test_imagenet_boxes_follow_torchvision_rule() -> None:
    """Boxes lie inside the image and are distributed as torchvision's RandomResizedCrop draws them."""
    n, height, width = 20000, 40, 30
    top, left, h, w = (v.numpy() for v in resized_crop_boxes(draw_keys(torch.arange(n), seed=2, epoch=0), height, width))
    assert (top >= 0).all() and (left >= 0).all() and (top + h <= height).all() and (left + w <= width).all()
    torch.manual_seed(0)
    reference = np.array([RandomResizedCrop.get_params(torch.zeros(1, height, width), (0.08, 1.0), (3 / 4, 4 / 3))
                          for _ in range(n)])
    ours = np.stack([top, left, h, w], axis=1)
    for statistic in (lambda b: b[:, 2] * b[:, 3] / (height * width), lambda b: b[:, 3] / b[:, 2], lambda b: b[:, 0] / height):
        assert statistic(ours).mean() == pytest.approx(statistic(reference).mean(), abs=0.01)
        assert statistic(ours).std() == pytest.approx(statistic(reference).std(), abs=0.01)


def test_imagenet_crop_equals_torchvision_inside_the_border(images) -> None:
    """Same box as torchvision's resized_crop; the outermost output pixels differ by design: they interpolate
    with the image beyond the box where torchvision repeats the box's edge."""
    out = augment(images, indices(), name="imagenet", seed=1, epoch=2)
    keys = draw_keys(indices(), seed=1, epoch=2)
    boxes = torch.stack(resized_crop_boxes(keys, 32, 32), dim=1)
    flips = _flips(keys, 0)
    assert out.dtype == torch.float32
    for image, result, (top, left, h, w), flip in zip(images, out, boxes.tolist(), flips):
        reference = TF.resized_crop(image.float(), top, left, h, w, [32, 32], antialias=False)
        reference = TF.hflip(reference) if flip else reference
        torch.testing.assert_close(result[:, 2:-2, 2:-2], reference[:, 2:-2, 2:-2], atol=1e-3, rtol=1e-5)


def test_hash_never_overflows() -> None:
    """The tensor hash equals the same arithmetic on Python's exact integers: no int64 overflow, so no
    device-dependent wrap-around."""
    words = [0, 1, 2**31 - 1, 2**31, 2**32 - 1, 123456789, 0xDEADBEEF]
    tensor = torch.tensor(words, dtype=torch.int64)
    assert _mul32(tensor, 0xC2B2AE35).tolist() == [(w * 0xC2B2AE35) % 2**32 for w in words]
    assert _fmix32(tensor).tolist() == [_fmix32(w) for w in words]


def test_keys_are_pinned() -> None:
    """Changing the hash changes every augmentation, and so every cached view: do it on purpose only."""
    assert draw_keys(torch.tensor([0, 1, 49999]), seed=0, epoch=0).tolist() == PINNED_KEYS


PINNED_KEYS = [3711562597, 1395958111, 4216488887]


def test_pick_view_is_uniform_and_changes_with_epoch() -> None:
    many = torch.arange(10000)
    views = pick_view(many, seed=0, epoch=0, views=4)
    assert views.min() == 0 and views.max() == 3
    np.testing.assert_allclose(np.bincount(views.numpy()) / 10000, 0.25, atol=0.02)
    assert (pick_view(many, seed=0, epoch=1, views=4) != views).float().mean() > 0.7
    with pytest.raises(ValueError, match="views"):
        pick_view(many, seed=0, epoch=0, views=0)


def test_training_shows_exactly_the_exported_views(images) -> None:
    policy = AugmentPolicy("cifar", views=3, view_seed=11)
    exported = torch.stack([policy.view(images, indices(), v) for v in range(3)])  # [view, B, ...]
    for epoch in range(3):
        shown = policy(images, indices(), seed=5, epoch=epoch)
        picked = policy.views_of(indices(), seed=5, epoch=epoch)
        assert torch.equal(shown, exported[picked, torch.arange(N)])
    with pytest.raises(ValueError, match=r"view must lie in \[0, 3\)"):
        policy.view(images, indices(), 3)
    fresh = AugmentPolicy("cifar")
    assert torch.equal(fresh(images, indices(), seed=5, epoch=1), augment(images, indices(), name="cifar", seed=5, epoch=1))
    with pytest.raises(ValueError, match="no fixed views"):
        fresh.views_of(indices(), seed=0, epoch=0)
    with pytest.raises(ValueError, match="no fixed views"):
        fresh.view(images, indices(), 0)


def test_bad_names_and_shapes(images) -> None:
    with pytest.raises(ValueError, match="'autoaugment'.*none, cifar, imagenet"):
        augment(images, indices(), name="autoaugment", seed=0, epoch=0)
    with pytest.raises(ValueError, match="autoaugment"):
        AugmentPolicy("autoaugment")
    with pytest.raises(ValueError, match=r"\[B, C, H, W\]"):
        augment(images[0], indices()[:3], name="cifar", seed=0, epoch=0)
    with pytest.raises(ValueError, match="non-negative"):
        augment(images, indices(), name="cifar", seed=-1, epoch=0)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("name", list(AUGMENTATIONS))
def test_the_gpu_draws_what_the_cpu_draws(images, name: str) -> None:
    cpu = augment(images, indices(), name=name, seed=7, epoch=3, view=2)
    gpu = augment(images.cuda(), indices().cuda(), name=name, seed=7, epoch=3, view=2)
    keys = draw_keys(indices(), seed=7, epoch=3)
    assert torch.equal(draw_keys(indices().cuda(), seed=7, epoch=3).cpu(), keys)
    assert all(torch.equal(a.cpu(), b) for a, b in zip(resized_crop_boxes(keys.cuda(), 32, 32), resized_crop_boxes(keys, 32, 32)))
    torch.testing.assert_close(gpu.cpu(), cpu, atol=1e-3, rtol=1e-5)
