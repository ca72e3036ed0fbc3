"""Batched, deterministic data augmentation whose random draws are a hash of (seed, epoch, image, view).

No generator state is used: the crop and flip of image ``i`` come from a counter-based hash of
``(seed, epoch, i, view)`` (murmur3's 32-bit finaliser, chained over the words), computed with integer tensor
operations that give the same bits on every device. So an image gets the same augmentation in whatever batch,
order or process it is drawn, on CPU or GPU. An augmentation draws its random parameters from the keys of the
images (for a whole epoch at once, if wanted) and applies them to a batch ``[B, C, H, W]`` of stored pixels
(uint8 or float) before normalisation; ``fill`` is the stored value of a black pixel.

Registered augmentations (:data:`AUGMENTATIONS`):

- ``none``: the images as they are.
- ``cifar``: random crop of the image size from the image zero-padded by 4 pixels, then a horizontal flip with
  probability 1/2 (RepDistiller's and mdistiller's CIFAR recipe); exact pixel copies, dtype kept.
- ``imagenet``: random resized crop (area 8-100 %, aspect ratio 3/4-4/3, 10 tries, then the central crop:
  torchvision's ``RandomResizedCrop`` rule) resized bilinearly back to the image size, then a flip; float out.

Views: :class:`AugmentPolicy` with ``views=K`` gives each image K fixed views, view ``v`` being the draw
``(view_seed, epoch 0, image, v)``; in epoch ``e`` a run with seed ``s`` shows view :func:`pick_view`
``(s, e, image)``. The teacher-logit export and the training loop both go through the policy, so view ``v`` of
image ``i`` is the same augmentation in both.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = [
    "AUGMENTATIONS",
    "Augmentation",
    "AugmentPolicy",
    "Params",
    "augment",
    "draw",
    "draw_keys",
    "pick_view",
    "register_augmentation",
    "take",
]

Fill = float | Sequence[float]
Params = dict[str, Tensor]  # an augmentation's random parameters, one row per image

_MASK = 0xFFFFFFFF
# Stream words keep the draws of augmentations apart from the draws that pick views.
_AUGMENT_STREAM = 0x41554731
_PICK_STREAM = 0x5049434B
CIFAR_PADDING = 4
RESIZED_CROP_SCALE = (0.08, 1.0)
RESIZED_CROP_RATIO = (3 / 4, 4 / 3)
RESIZED_CROP_TRIES = 10
# Aspect ratios are drawn from a fixed log-uniform table, not through exp(): exp may differ by one ulp between
# CPU and GPU libraries, which could round a crop side differently; table lookups cannot.
_RATIO_LEVELS = 1024


@dataclass(frozen=True)
class Augmentation:
    """One registered augmentation: ``draw`` turns per-image keys into random parameters for images of a given
    height and width; ``apply`` uses them on a batch of stored images."""

    draw: Callable[[Tensor, int, int], Params]
    apply: Callable[[Tensor, Params, Fill], Tensor]


AUGMENTATIONS: dict[str, Augmentation] = {}


def register_augmentation(name: str, augmentation: Augmentation) -> None:
    """Add an augmentation under ``name``: a new one is a draw and an apply function plus this call."""
    if name in AUGMENTATIONS:
        raise ValueError(f"augmentation {name!r} is already registered")
    AUGMENTATIONS[name] = augmentation


# --- the counter-based hash -----------------------------------------------------------------------------------


def _mul32(x, c: int):
    """``x * c mod 2**32`` for 32-bit ``x`` (int or int64 tensor) in pieces that never overflow int64."""
    low, high = c & 0xFFFF, c >> 16
    return (x * low + (((x * high) & 0xFFFF) << 16)) & _MASK


def _fmix32(x):
    """murmur3's finaliser: a bijection of 32-bit words in which every input bit flips every output bit."""
    x = x ^ (x >> 16)
    x = _mul32(x, 0x85EBCA6B)
    x = x ^ (x >> 13)
    x = _mul32(x, 0xC2B2AE35)
    return x ^ (x >> 16)


def _combine(h, word):
    """Chain one more word (int or int64 tensor, taken mod 2**32) into the hash ``h``."""
    return _fmix32(h ^ _fmix32(word & _MASK))


def _prefix(stream: int, seed: int, epoch: int) -> int:
    """The hash of the scalar words, as a Python int; the seed enters as two 32-bit words."""
    if seed < 0 or epoch < 0:
        raise ValueError(f"seed and epoch must be non-negative, got seed={seed}, epoch={epoch}")
    h = _fmix32(stream)
    for word in (seed & _MASK, seed >> 32, epoch):
        h = _combine(h, word)
    return h


def draw_keys(indices: Tensor, *, seed: int, epoch: int, view: int | Tensor = 0) -> Tensor:
    """One 32-bit key (int64 tensor) per dataset index: the hash of ``(seed, epoch, index, view)``."""
    keys = _combine(_prefix(_AUGMENT_STREAM, seed, epoch), indices.long())
    view = view.to(keys.device).long() if isinstance(view, Tensor) else view
    return _combine(keys, view)


def _bits(keys: Tensor, number: int | Tensor) -> Tensor:
    """The ``number``-th independent 32-bit random word of every key (``number`` broadcasts against ``keys``)."""
    return _combine(keys, number)


def _uniform(keys: Tensor, number: int | Tensor) -> Tensor:
    """Uniform in [0, 1) from 24 random bits, float64: exact, so equal on every device."""
    return (_bits(keys, number) >> 8).double() * 2.0**-24


def pick_view(indices: Tensor, *, seed: int, epoch: int, views: int) -> Tensor:
    """Which of ``views`` fixed views each image shows in ``epoch`` of a run with ``seed``: uniform in [0, views)."""
    if views < 1:
        raise ValueError(f"views must be at least 1, got {views}")
    return _combine(_prefix(_PICK_STREAM, seed, epoch), indices.long()) % views


# --- augmentations: random parameters drawn from keys, then applied to a batch --------------------------------


def _flips(keys: Tensor, number: int) -> Tensor:
    """Flip or not, with p = 1/2."""
    return (_bits(keys, number) & 1).bool()


@lru_cache(maxsize=None)
def _fill_tensor(fill: float | tuple[float, ...], dtype: torch.dtype, device: torch.device) -> Tensor:
    """``fill`` as ``[1, C or 1, 1, 1]``, made once per device: a host-to-device copy per batch would stall it."""
    return torch.tensor(fill, dtype=dtype, device=device).reshape(1, -1, 1, 1)


def _padded(images: Tensor, padding: int, fill: Fill) -> Tensor:
    """``images`` inside a border of ``padding`` pixels of ``fill`` (one value or one per channel)."""
    b, c, h, w = images.shape
    value = _fill_tensor(fill if isinstance(fill, (int, float)) else tuple(fill), images.dtype, images.device)
    out = value.expand(b, c, h + 2 * padding, w + 2 * padding).clone()
    out[..., padding : padding + h, padding : padding + w] = images
    return out


def crop_flip_draws(keys: Tensor, h: int, w: int) -> Params:
    """Rows and columns of the padded image that every output row and column copies: a random offset in
    ``[0, 2 * padding]`` each way; a flip (p = 1/2) reverses the columns, as a flip after the crop does."""
    span = 2 * CIFAR_PADDING + 1
    top, left = _bits(keys, 0) % span, _bits(keys, 1) % span
    columns = torch.arange(w, device=keys.device)
    columns = torch.where(_flips(keys, 2)[:, None], columns.flip(0), columns) + left[:, None]
    return {"rows": torch.arange(h, device=keys.device) + top[:, None], "columns": columns}


def crop_flip(images: Tensor, params: Params, fill: Fill) -> Tensor:
    """The ``H x W`` windows of the image padded by :data:`CIFAR_PADDING`: one gather, exact pixel copies."""
    b, c, h, w = images.shape
    flat = params["rows"][:, :, None] * (w + 2 * CIFAR_PADDING) + params["columns"][:, None, :]
    flat = flat.reshape(b, 1, h * w).expand(b, c, h * w)
    return _padded(images, CIFAR_PADDING, fill).flatten(2).gather(2, flat).view(b, c, h, w)


@lru_cache(maxsize=None)
def _ratio_table(device: torch.device) -> Tensor:
    """:data:`_RATIO_LEVELS` aspect ratios, log-uniform over :data:`RESIZED_CROP_RATIO`, made on the CPU."""
    low, high = (math.log(r) for r in RESIZED_CROP_RATIO)
    return torch.linspace(low, high, _RATIO_LEVELS, dtype=torch.float64).exp().to(device)


def _central_box(h: int, w: int) -> tuple[int, int, int, int]:
    """torchvision's fallback: the largest central crop whose aspect ratio is within range."""
    low, high = RESIZED_CROP_RATIO
    ratio = w / h
    crop_h, crop_w = h, w
    if ratio < low:
        crop_h = int(round(w / low))
    elif ratio > high:
        crop_w = int(round(h * high))
    return (h - crop_h) // 2, (w - crop_w) // 2, crop_h, crop_w


def resized_crop_boxes(keys: Tensor, h: int, w: int) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """(top, left, height, width) of every image's random resized crop, torchvision's rule vectorised over tries.

    Only exactly rounded float64 operations (+, *, /, sqrt, round) touch the draws, so boxes are equal on
    every device.
    """
    draws = 16 + 2 * torch.arange(RESIZED_CROP_TRIES, device=keys.device)  # two per try, apart from draws 0-2
    low, high = RESIZED_CROP_SCALE
    target = (_uniform(keys[:, None], draws) * (high - low) + low) * float(h * w)  # [B, tries]
    ratio = _ratio_table(keys.device)[_bits(keys[:, None], draws + 1) % _RATIO_LEVELS]
    crop_w = torch.round(torch.sqrt(target * ratio)).long()
    crop_h = torch.round(torch.sqrt(target / ratio)).long()
    fits = (crop_w > 0) & (crop_w <= w) & (crop_h > 0) & (crop_h <= h)
    first = fits.int().argmax(dim=1, keepdim=True)  # the first try that fits, as torchvision takes it
    found = fits.any(dim=1)
    top0, left0, h0, w0 = _central_box(h, w)
    crop_h = torch.where(found, crop_h.gather(1, first)[:, 0], h0)
    crop_w = torch.where(found, crop_w.gather(1, first)[:, 0], w0)
    top = torch.where(found, _bits(keys, 1) % (h - crop_h + 1), top0)
    left = torch.where(found, _bits(keys, 2) % (w - crop_w + 1), left0)
    return top, left, crop_h, crop_w


def resized_crop_draws(keys: Tensor, h: int, w: int) -> Params:
    """The affine map (``theta`` ``[B, 2, 3]``, for ``affine_grid``) from output to input coordinates that crops
    :func:`resized_crop_boxes`'s box, stretches it to ``H x W`` and flips it with p = 1/2."""
    top, left, crop_h, crop_w = (v.double() for v in resized_crop_boxes(keys, h, w))
    sign = 1.0 - 2.0 * _flips(keys, 0).double()
    # Normalised coordinates (align_corners=False): output [-1, 1] spans the crop's outer pixel edges.
    theta = torch.zeros(len(keys), 2, 3, dtype=torch.float64, device=keys.device)
    theta[:, 0, 0] = sign * crop_w / w
    theta[:, 0, 2] = (2 * left + crop_w) / w - 1
    theta[:, 1, 1] = crop_h / h
    theta[:, 1, 2] = (2 * top + crop_h) / h - 1
    return {"theta": theta.float()}


def resized_crop(images: Tensor, params: Params, fill: Fill) -> Tensor:
    """Bilinear resampling through each image's ``theta``; the crop lies inside the image, so ``fill`` is never
    needed. Returns float in the stored value range."""
    grid = F.affine_grid(params["theta"], list(images.shape), align_corners=False)
    return F.grid_sample(images.float(), grid, mode="bilinear", padding_mode="border", align_corners=False)


register_augmentation("none", Augmentation(draw=lambda keys, h, w: {}, apply=lambda images, params, fill: images))
register_augmentation("cifar", Augmentation(draw=crop_flip_draws, apply=crop_flip))
register_augmentation("imagenet", Augmentation(draw=resized_crop_draws, apply=resized_crop))


def _augmentation(name: str) -> Augmentation:
    if name not in AUGMENTATIONS:
        raise ValueError(f"unknown augmentation {name!r}; choose one of {', '.join(AUGMENTATIONS)}")
    return AUGMENTATIONS[name]


def draw(
    name: str, indices: Tensor, *, seed: int, epoch: int, view: int | Tensor = 0, size: tuple[int, int]
) -> Params:
    """The random parameters of augmentation ``name`` for images ``indices`` of ``size`` (H, W), drawn from
    ``(seed, epoch, index, view)`` (``view``: one int, or one per image); they live on ``indices``' device."""
    return _augmentation(name).draw(draw_keys(indices, seed=seed, epoch=epoch, view=view), *size)


def take(params: Params, rows: slice | Tensor) -> Params:
    """The parameters of some of the images they were drawn for."""
    return {key: value[rows] for key, value in params.items()}


def augment(
    images: Tensor, indices: Tensor, *, name: str, seed: int, epoch: int, view: int | Tensor = 0, fill: Fill = 0.0
) -> Tensor:
    """Augmentation ``name`` of a batch ``[B, C, H, W]`` whose dataset indices are ``indices`` ``[B]``.

    Image ``indices[b]`` gets the draw ``(seed, epoch, indices[b], view)`` (``view``: one int, or one per image).
    """
    augmentation = _augmentation(name)
    if images.ndim != 4 or len(indices) != len(images):
        raise ValueError(f"need images [B, C, H, W] and B indices, got {tuple(images.shape)} and {len(indices)}")
    params = draw(name, indices.to(images.device), seed=seed, epoch=epoch, view=view, size=images.shape[-2:])
    return augmentation.apply(images, params, fill)


# --- what a training item looks like in each epoch -----------------------------------------------------------


@dataclass(frozen=True)
class AugmentPolicy:
    """How training images are augmented, epoch by epoch (validation and test are never augmented).

    ``views=None``: a fresh draw ``(seed, epoch, image)`` every epoch. ``views=K``: image ``i`` shows one of K
    fixed views, view ``v`` being the draw ``(view_seed, 0, i, v)``, chosen in each epoch by :func:`pick_view`.
    A batch source draws the parameters of a whole epoch at once (:meth:`draws`) and applies them per batch
    (:meth:`apply`), so hashing costs a few operations per epoch, not per batch.
    """

    name: str = "none"
    views: int | None = None
    view_seed: int = 0

    def __post_init__(self) -> None:
        _augmentation(self.name)
        if self.views is not None and self.views < 1:
            raise ValueError(f"views must be None or at least 1, got {self.views}")

    def views_of(self, indices: Tensor, *, seed: int, epoch: int) -> Tensor:
        """The fixed view each image shows in ``epoch`` of a run with ``seed`` (also to look up its logits)."""
        return pick_view(indices, seed=seed, epoch=epoch, views=self._views())

    def draws(
        self, indices: Tensor, *, seed: int, epoch: int, size: tuple[int, int], view: int | None = None
    ) -> Params:
        """The parameters of images ``indices`` (of ``size`` H, W) in ``epoch`` of a run with ``seed``; with
        ``view`` (the export), fixed view ``view`` of every image instead, whatever the seed and epoch."""
        if view is not None:
            if not 0 <= view < self._views():
                raise ValueError(f"view must lie in [0, {self.views}), got {view}")
            return self._fixed(indices, view, size)
        if self.views is None:
            return draw(self.name, indices, seed=seed, epoch=epoch, size=size)
        return self._fixed(indices, self.views_of(indices, seed=seed, epoch=epoch), size)

    def apply(self, images: Tensor, params: Params, *, fill: Fill = 0.0) -> Tensor:
        return AUGMENTATIONS[self.name].apply(images, params, fill)

    def view(self, images: Tensor, indices: Tensor, view: int, *, fill: Fill = 0.0) -> Tensor:
        """Fixed view ``view`` of each image of a batch: what the teacher-logit export computes once per view."""
        return self(images, indices, seed=0, epoch=0, view=view, fill=fill)

    def __call__(
        self, images: Tensor, indices: Tensor, *, seed: int, epoch: int, view: int | None = None, fill: Fill = 0.0
    ) -> Tensor:
        """The training batch of ``epoch`` for a run with ``seed`` (or fixed view ``view``, see :meth:`draws`)."""
        params = self.draws(indices.to(images.device), seed=seed, epoch=epoch, size=images.shape[-2:], view=view)
        return self.apply(images, params, fill=fill)

    def _views(self) -> int:
        if self.views is None:
            raise ValueError("this policy draws fresh augmentations; it has no fixed views")
        return self.views

    def _fixed(self, indices: Tensor, view: int | Tensor, size: tuple[int, int]) -> Params:
        """Fixed view ``view`` (one, or one per image) is the draw ``(view_seed, epoch 0, image, view)``."""
        return draw(self.name, indices, seed=self.view_seed, epoch=0, view=view, size=size)
