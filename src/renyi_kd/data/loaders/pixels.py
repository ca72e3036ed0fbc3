"""Pixel operations the loaders share: resizing, and normalising uint8 images when they are read."""

from __future__ import annotations

from functools import lru_cache

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ["resize", "prepare_uint8"]


def resize(x: Tensor, size: int) -> Tensor:
    """Bilinear resize of ``[..., C, H, W]`` to ``size x size``, antialiased so downscaling does not alias."""
    batch = x.reshape(-1, *x.shape[-3:])
    out = F.interpolate(batch, size=(size, size), mode="bilinear", align_corners=False, antialias=True)
    return out.reshape(*x.shape[:-2], size, size)


@lru_cache(maxsize=None)
def _channel_stats(mean: tuple[float, ...], std: tuple[float, ...], device: torch.device) -> tuple[Tensor, Tensor]:
    """``mean`` and ``std`` as ``[C, 1, 1]`` tensors, made once per device: a host-to-device copy per batch would
    make every batch wait for the one before."""
    return tuple(torch.tensor(v, device=device).view(-1, 1, 1) for v in (mean, std))


def prepare_uint8(x: Tensor, *, mean: tuple[float, ...], std: tuple[float, ...], image_size: int) -> Tensor:
    """uint8-valued ``[..., C, H, W]`` -> float in [0, 1], resized if needed, normalised with ``mean``/``std``."""
    x = x.float().div(255)
    if x.shape[-1] != image_size or x.shape[-2] != image_size:
        x = resize(x, image_size)
    mean_t, std_t = _channel_stats(mean, std, x.device)
    return x.sub_(mean_t).div_(std_t)
