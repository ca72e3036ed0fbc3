"""Kullback-Leibler divergence from log-probabilities, with its gradient written out."""

from __future__ import annotations

import torch
from torch import Tensor
from torch.autograd.function import once_differentiable

from renyi_kd.losses.logprobs import without_impossible


def _parts(log_p: Tensor, log_q: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """``(p, log p - log q, KL)``; NaN in a row with a class of p = 0 (0 * -inf)."""
    p = log_p.exp()
    log_ratio = log_p - log_q
    return p, log_ratio, (p * log_ratio).sum(dim=-1)


class _KL(torch.autograd.Function):
    """``KL(P || Q) = sum_i p_i (log p_i - log q_i)`` per row, with 0 log 0 = 0.

    Backward, as partial derivatives in the log-probabilities: ``dKL/dlog q = -p`` and
    ``dKL/dlog p = p (log p - log q - KL)`` (the projected form, which sums to zero). log_softmax's backward
    turns them into the familiar ``(q - p)/T`` and ``p (r - KL)/T`` for the logits. Written by hand because
    autograd through exp, sub, mul and sum costs twice the classic ``F.kl_div`` loss.
    """

    @staticmethod
    def forward(ctx, log_p: Tensor, log_q: Tensor) -> Tensor:  # type: ignore[override]
        p, log_ratio, divergence = _parts(log_p, log_q)
        if divergence.isnan().any():  # 0 log 0 of classes with p = 0; NaN inputs stay NaN
            p, log_ratio, divergence = _parts(*without_impossible(log_p, log_q))
        ctx.save_for_backward(p, log_ratio, divergence)
        return divergence

    @staticmethod
    @once_differentiable
    def backward(ctx, grad: Tensor) -> tuple[Tensor | None, Tensor | None]:  # type: ignore[override]
        p, log_ratio, divergence = ctx.saved_tensors
        grad = grad.unsqueeze(-1)
        grad_p = p * (log_ratio - divergence.unsqueeze(-1)) * grad if ctx.needs_input_grad[0] else None
        grad_q = p * -grad if ctx.needs_input_grad[1] else None
        return grad_p, grad_q


def kl(log_p: Tensor, log_q: Tensor) -> Tensor:
    """``KL(P || Q) = sum_i p_i log(p_i / q_i)`` per row, from log-probabilities (Hinton et al. 2015)."""
    return _KL.apply(log_p, log_q)


def reverse_kl(log_p: Tensor, log_q: Tensor) -> Tensor:
    """``KL(Q || P) = sum_i q_i log(q_i / p_i)`` per row: the mode-seeking direction."""
    return _KL.apply(log_q, log_p)
