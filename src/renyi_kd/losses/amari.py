"""Amari's alpha-divergence (Amari 1985; Cichocki & Amari 2010), from the Rényi divergence of the same order."""

from __future__ import annotations

import torch
from torch import Tensor

from renyi_kd.losses.renyi import renyi_per_order


def _one_minus_exp_over(x: Tensor) -> Tensor:
    """``(1 - e^(-x)) / x``, 1 at x = 0; the where()s keep the unselected branch finite for autograd."""
    at_zero = x == 0
    safe = torch.where(at_zero, torch.ones_like(x), x)
    return torch.where(at_zero, torch.ones_like(x), -torch.expm1(-safe) / safe)


def amari(log_p: Tensor, log_q: Tensor, alpha: float) -> Tensor:
    """``A_alpha(P || Q) = (1 - sum_i p_i^alpha q_i^(1 - alpha)) / (alpha (1 - alpha))`` per row.

    Its limits are ``KL(P || Q)`` at alpha = 1 and ``KL(Q || P)`` at alpha = 0. The sum is the Rényi one,
    ``exp(-alpha (1 - alpha) R)`` with ``R = D_alpha(P || Q) / alpha``, so
    ``A_alpha = R (1 - e^(-x)) / x`` with ``x = alpha (1 - alpha) R``: no 0/0 at either limit and no
    cancellation in 1 - sum near them.
    """
    per_order = renyi_per_order(log_p, log_q, alpha)
    return per_order * _one_minus_exp_over(alpha * (1.0 - alpha) * per_order)
