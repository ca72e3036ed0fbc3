"""From logits to the log-probabilities every family works on: precision, temperature, standardisation, zeros."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

# Finite stand-in for log 0 (see without_impossible): exp() of it is 0 in every float dtype, it stays finite
# when multiplied by orders up to ~1e8 in float32, and it lies far below any log-probability of finite logits.
LOG_ZERO = -1e30


def at_least_float32(logits: Tensor) -> Tensor:
    """Half precision is too coarse for divergences (and AMP hands us float16 logits)."""
    if not logits.dtype.is_floating_point or torch.finfo(logits.dtype).bits < 32:
        return logits.float()
    return logits


def log_probs(logits: Tensor, temperature: float) -> Tensor:
    """``log softmax(logits / T)`` over the last dimension, in float32 at least."""
    return F.log_softmax(at_least_float32(logits) / temperature, dim=-1)


def standardize(logits: Tensor) -> Tensor:
    """Z-score of each row, ``(z - mean z) / std z`` with the population std (Sun et al., CVPR 2024, Alg. 1).

    The authors' code divides by ``torch.std`` (1/(K - 1)) plus 1e-7, which is this with a temperature
    larger by sqrt(K / (K - 1)). A row whose spread is below its own rounding (a constant row) has no
    z-score: it becomes all zeros, the uniform distribution.
    """
    x = at_least_float32(logits)
    centred = x - x.mean(dim=-1, keepdim=True)
    variance = centred.square().mean(dim=-1, keepdim=True)
    floor = torch.finfo(x.dtype).eps * x.detach().abs().amax(dim=-1, keepdim=True)
    spread = variance > floor.square()
    # Both where()s keep the unselected branch finite, so constant rows get a zero gradient, not NaN.
    inverse_std = torch.where(spread, variance, torch.ones_like(variance)).rsqrt()
    return centred * torch.where(spread, inverse_std, torch.zeros_like(inverse_std))


def has_zero(log_p: Tensor) -> bool:
    """Whether some class has probability exactly 0 (log p = -inf); NaN rows do not count (they stay NaN)."""
    return log_p.numel() > 0 and bool(log_p.amin() == -math.inf)


def without_impossible(log_p: Tensor, log_q: Tensor) -> tuple[Tensor, Tensor]:
    """Replace ``log p = -inf`` (and ``log q = -inf`` at the same classes) by :data:`LOG_ZERO`.

    A class with p = 0 carries no mass in any divergence of P from Q, but its terms (0 * log 0, -inf - -inf)
    are NaN in floating point. With a finite stand-in every formula gives those terms 0 and a zero gradient.
    ``log q = -inf`` where p > 0 is left alone: there the divergence is genuinely infinite for orders >= 1.
    Costs one reduction when no probability is zero, the usual case.
    """
    if not has_zero(log_p):
        return log_p, log_q
    impossible = torch.isneginf(log_p)
    stand_in = torch.full_like(log_p, LOG_ZERO)
    return torch.where(impossible, stand_in, log_p), torch.where(impossible & torch.isneginf(log_q), stand_in, log_q)
