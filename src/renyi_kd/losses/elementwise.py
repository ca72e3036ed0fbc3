"""Elementwise building blocks that keep relative accuracy and stay vectorised on CPUs.

On CPU, torch's float32 expm1, log1p and logaddexp run one element at a time and torch.where is several
times slower than arithmetic; these helpers avoid them where a divergence needs them on every class.
"""

from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import Tensor


def expm1(x: Tensor) -> Tensor:
    """``e^x - 1`` to a few ulp for every x, as ``tanh(x/2) (e^x + 1)`` (no cancellation anywhere)."""
    return torch.tanh(0.5 * x) * (torch.exp(x) + 1.0)


def logaddexp(constant: float, x: Tensor) -> Tensor:
    """``log(e^constant + e^x)`` without overflow, as ``max + log(1 + e^-|gap|)``; just x for constant = -inf."""
    if constant == -math.inf:
        return x
    return x.clamp(min=constant) + torch.log(1.0 + torch.exp(-(x - constant).abs()))


def blend(first_here: Tensor, first: Tensor, second: Tensor) -> Tensor:
    """``first`` where ``first_here`` is True, else ``second``, for finite ``first`` and ``second``.

    torch.lerp with a 0/1 weight: its two-sided formula returns either end exactly, it is vectorised (unlike
    torch.where here) and the gradient flows into the chosen branch only.
    """
    return torch.lerp(second, first, first_here.to(first.dtype))


def series_terms(dtype: torch.dtype, ratio: float) -> int:
    """How many terms of a series with term ratio <= ``ratio`` reach the precision of ``dtype``."""
    return math.ceil(math.log(torch.finfo(dtype).eps / 4) / math.log(ratio))


def horner(x: Tensor, coefficients: Sequence[float]) -> Tensor:
    """``sum_k coefficients[k] x^k`` by Horner's rule."""
    total = torch.full_like(x, coefficients[-1])
    for coefficient in reversed(coefficients[:-1]):
        total = total * x + coefficient
    return total
