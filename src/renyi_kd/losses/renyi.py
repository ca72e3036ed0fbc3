"""Rényi divergence of every order from log-probabilities (van Erven & Harremoës 2014).

``D_alpha(P || Q) = 1/(alpha - 1) log sum_i p_i^alpha q_i^(1 - alpha)``, with the limits
``D_0 = -log Q(supp P)``, ``D_1 = KL(P || Q)`` and ``D_inf = max_i log(p_i / q_i)``.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor
from torch.autograd.function import once_differentiable

from renyi_kd.losses.kl import kl
from renyi_kd.losses.logprobs import without_impossible

# Orders with |alpha - 1| below this divide the rounding error of a logsumexp log Z by a small alpha - 1,
# so they use the log1p form. Above it the logsumexp form is as accurate as the log-probabilities
# themselves (its error stays within a few times KL's) and needs no tanh per class.
_NEAR_ORDER_ONE = 0.5
# The log1p form is trusted for rows with |log Z| < 1/2 (Z in (0.6, 1.65)): there every p_i e^(d r_i) <= Z
# is finite and log1p(Z - 1) loses nothing. Other rows fall back to logsumexp.
_NEAR_LOG_Z = 0.5


def _p_expm1_from_sum(p_exp_plus_p: Tensor, half_x: Tensor) -> Tensor:
    """``p (e^x - 1)`` given ``p e^x + p`` and ``x / 2``, to a few ulp for every x (overwrites ``half_x``).

    ``tanh(x/2) (p e^x + p)``: tanh(x/2) (e^x + 1) = e^x - 1 has no cancellation anywhere, never forms a
    huge e^x next to a tiny p, and tanh is vectorised on CPUs where expm1 is not.
    """
    return half_x.tanh_().mul_(p_exp_plus_p)


def _log1p_form(log_p: Tensor, log_q: Tensor, d: float, keep_p: bool, keep_terms: bool) -> tuple[Tensor, tuple]:
    """``log Z = log1p(sum_i p_i (e^(d r_i) - 1))`` per row, and the parts of w that the backward reuses:
    ``(p if keep_p, p^alpha q^(1-alpha) if keep_terms, p^alpha q^(1-alpha) - p, Z - 1)``.

    Buffers are reused in place: allocating fewer [batch, classes] tensors is much of the speed on CPU.
    """
    half_x = log_p - log_q
    terms = torch.add(log_p, half_x, alpha=d).exp_()  # p^alpha q^(1-alpha) = p e^(d r)
    p = log_p.exp()
    if not keep_p:
        p_plus_terms = p.add_(terms)
    elif not keep_terms:
        p_plus_terms = terms.add_(p)
    else:
        p_plus_terms = terms + p
    excess = _p_expm1_from_sum(p_plus_terms, half_x.mul_(0.5 * d))
    z_minus_one = excess.sum(dim=-1)
    return torch.log1p(z_minus_one), (p if keep_p else None, terms if keep_terms else None, excess, z_minus_one)


def _logsumexp_form(log_p: Tensor, log_q: Tensor, d: float) -> tuple[Tensor, Tensor, Tensor]:
    """``(r, log(p^alpha q^(1-alpha)), log Z)`` with ``log Z = logsumexp(log p + d r)`` per row.

    ``log(p^alpha q^(1-alpha))`` is +inf where q = 0 < p and d > 0 (an infinite divergence, as it should).
    """
    log_ratio = log_p - log_q
    log_terms = torch.add(log_p, log_ratio, alpha=d)
    return log_ratio, log_terms, torch.logsumexp(log_terms, dim=-1)


class _RenyiFiniteOrder(torch.autograd.Function):
    """D_alpha(P || Q) per row from log-probabilities, for 0.5 <= alpha < inf, alpha != 1.

    Forward, with r = log p - log q and d = alpha - 1: ``Z = sum_i p_i^alpha q_i^(1-alpha) = sum_i p_i e^(d r_i)``
    and ``D = log Z / d``. The logsumexp form of log Z has an absolute error of a few ulp; divided by a
    small d that is ruinous, so for |d| < 1/2 ``log Z = log1p(sum_i p_i (e^(d r_i) - 1))``, which uses
    sum_i p_i = 1 exactly and keeps the relative accuracy of every term (rows where it cannot be trusted
    fall back to logsumexp).

    Backward, with the tilted distribution ``w = p^alpha q^(1-alpha) / Z`` (thesis eq. 1.8), as partial
    derivatives in the log-probabilities: ``dD/dlog q = -w`` and ``dD/dlog p = alpha/d (w - p)`` (projected;
    log_softmax's backward turns them into ``(q - w)/T`` and ``alpha/d (w - p)/T`` for the logits). Near
    alpha = 1, ``w - p`` is formed without cancellation, which keeps the first argument's gradient accurate
    (the skew identity sends the student there).
    Written by hand because autograd through the two forms costs several times the classic KD loss.
    """

    @staticmethod
    def forward(ctx, log_p: Tensor, log_q: Tensor, alpha: float) -> Tensor:  # type: ignore[override]
        d = alpha - 1.0
        ctx.alpha, ctx.tilted_in_hand = alpha, False
        series_log_z = None
        if abs(d) < _NEAR_ORDER_ONE:
            # A class with p = 0 makes its row NaN here (or gives it exactly 0): such rows take the general
            # form below, which handles them; so does a row that overflows or is not near Z = 1.
            series_log_z, parts = _log1p_form(log_p, log_q, d, *ctx.needs_input_grad[:2])
            if bool(series_log_z.abs().amax() < _NEAR_LOG_Z):  # the usual case: the backward reuses the parts of w
                ctx.tilted_in_hand = True
                ctx.save_for_backward(*parts)
                return series_log_z / d
        log_ratio, log_terms, log_z = _logsumexp_form(log_p, log_q, d)
        if log_z.isnan().any():  # classes with p = 0 (-inf - -inf, -inf + inf); NaN inputs stay NaN
            log_p, log_q = without_impossible(log_p, log_q)
            log_ratio, log_terms, log_z = _logsumexp_form(log_p, log_q, d)
        if series_log_z is not None:
            log_z = torch.where(series_log_z.abs() < _NEAR_LOG_Z, series_log_z, log_z)
        ctx.save_for_backward(log_p, log_ratio, log_terms, log_z)
        return log_z / d

    @staticmethod
    @once_differentiable
    def backward(ctx, grad: Tensor) -> tuple[Tensor | None, Tensor | None, None]:  # type: ignore[override]
        alpha, d = ctx.alpha, ctx.alpha - 1.0
        grad = grad.unsqueeze(-1)
        want_p, want_q = ctx.needs_input_grad[:2]
        if ctx.tilted_in_hand:
            p, terms, excess, z_minus_one = ctx.saved_tensors
            z_minus_one = z_minus_one.unsqueeze(-1)
            inverse_z = 1.0 / (1.0 + z_minus_one)
            grad_q = terms * (-grad * inverse_z) if want_q else None
            # w - p = (p^alpha q^(1-alpha) - p - p (Z - 1)) / Z, every part already accurate
            grad_p = torch.addcmul(excess, p, -z_minus_one).mul_(grad * (alpha / d) * inverse_z) if want_p else None
            return grad_p, grad_q, None
        log_p, log_ratio, log_terms, log_z = ctx.saved_tensors
        tilted = torch.softmax(log_terms, dim=-1)
        grad_p = None
        if want_p:
            p = log_p.exp()
            if abs(d) < _NEAR_ORDER_ONE:  # w - p = p (e^(d r - log Z) - 1), no cancellation as alpha -> 1
                difference = _p_expm1_from_sum(tilted + p, (d * log_ratio - log_z.unsqueeze(-1)).mul_(0.5))
            else:
                difference = tilted - p
            grad_p = difference.mul_(grad * (alpha / d))
        grad_q = tilted.mul_(-grad) if want_q else None
        return grad_p, grad_q, None


def _order_zero(log_p: Tensor, log_q: Tensor) -> Tensor:
    """D_0 = -log Q(supp P). Written as -log1p(-Q(outside)) it is exactly 0 for full support."""
    outside = torch.isneginf(log_p)
    q_outside = log_q.exp().masked_fill(~outside, 0.0).sum(-1)
    on_support = -torch.logsumexp(log_q.masked_fill(outside, -math.inf), dim=-1)
    return torch.where(q_outside < 0.5, -torch.log1p(-q_outside.clamp(max=0.5)), on_support)


def _order_infinity(log_p: Tensor, log_q: Tensor) -> Tensor:
    log_p, log_q = without_impossible(log_p, log_q)
    return (log_p - log_q).amax(dim=-1)


def renyi(log_p: Tensor, log_q: Tensor, alpha: float) -> Tensor:
    """``D_alpha(P || Q) = 1/(alpha - 1) log sum_i p_i^alpha q_i^(1 - alpha)`` per row, any alpha in [0, inf].

    Continuous across alpha = 1 (KL) and accurate for small alpha through the skew symmetry
    ``D_alpha(P || Q) = alpha/(1 - alpha) D_{1 - alpha}(Q || P)`` (the direct form would lose the factor alpha
    to cancellation).
    """
    if alpha == 0.0:
        return _order_zero(log_p, log_q)
    if math.isinf(alpha):
        return _order_infinity(log_p, log_q)
    if alpha == 1.0:
        return kl(log_p, log_q)
    if alpha < 0.5:
        return alpha / (1.0 - alpha) * renyi(log_q, log_p, 1.0 - alpha)
    return _RenyiFiniteOrder.apply(log_p, log_q, alpha)


def renyi_per_order(log_p: Tensor, log_q: Tensor, alpha: float) -> Tensor:
    """``D_alpha(P || Q) / alpha``, continuous at alpha = 0 where it is ``KL(Q || P)`` (thesis scaling T^2/alpha).

    For alpha < 1/2 it is ``D_{1 - alpha}(Q || P) / (1 - alpha)`` by the skew symmetry, so nothing is divided
    by a small alpha.
    """
    if alpha < 0.5:
        return renyi(log_q, log_p, 1.0 - alpha) / (1.0 - alpha)
    return renyi(log_p, log_q, alpha) / alpha
