"""Divergences and distillation losses: pure functions of logits, no I/O.

Notation used everywhere in the project: teacher logits ``v``, student logits ``z``, temperature ``T``,
``P = softmax(v / T)``, ``Q = softmax(z / T)``; ``alpha`` is the Rényi order, ``beta`` the weight of the soft term.

Rényi divergence of order alpha (van Erven & Harremoës 2014)::

    D_alpha(P || Q) = 1 / (alpha - 1) * log sum_i p_i^alpha q_i^(1 - alpha)

with its limits D_0 = -log sum_{p_i > 0} q_i, D_1 = KL(P || Q) and D_inf = max_i log(p_i / q_i).

Distillation loss (thesis, Definition 5 with the Rényi soft term)::

    L = (1 - beta) * CE(y, softmax(z)) + beta * s * mean_batch D_alpha(P_T || Q_T)

with ``s = T^2 / alpha`` ("thesis") or ``s = T^2`` ("hinton"). For alpha -> 0 the thesis-scaled term tends to
``T^2 KL(Q || P)`` because ``D_alpha(P || Q) = alpha / (1 - alpha) * D_{1 - alpha}(Q || P)``.
"""

from __future__ import annotations

import math
from typing import Protocol

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = [
    "renyi_divergence",
    "renyi_soft_term",
    "distillation_loss",
    "kd_loss",
    "DistillationLoss",
    "SOFT_TERMS",
    "SCALINGS",
]

SCALINGS = ("thesis", "hinton")

# Below this |log Z| the logsumexp form loses ~eps/|alpha - 1| of absolute accuracy, so the
# log1p/expm1 form takes over (it is exact in the limit alpha -> 1). 0.5 keeps Z in (0.6, 1.65).
_SERIES_LOG_Z = 0.5


def _check_order(alpha: float) -> float:
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)):
        raise ValueError(f"alpha must be a real number in [0, inf], got alpha={alpha!r}")
    alpha = float(alpha)
    if math.isnan(alpha) or alpha < 0:
        raise ValueError(f"alpha must be in [0, inf], got alpha={alpha!r}")
    return alpha


def _check_temperature(temperature: float) -> float:
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float)):
        raise ValueError(f"temperature must be a positive number, got temperature={temperature!r}")
    temperature = float(temperature)
    if not (math.isfinite(temperature) and temperature > 0):
        raise ValueError(f"temperature must be finite and > 0, got temperature={temperature!r}")
    return temperature


def _check_pair(p_logits: Tensor, q_logits: Tensor, p_name: str, q_name: str) -> None:
    if p_logits.shape != q_logits.shape:
        raise ValueError(
            f"{p_name} and {q_name} must have the same shape, got {p_name}={tuple(p_logits.shape)} "
            f"and {q_name}={tuple(q_logits.shape)}"
        )
    if p_logits.ndim != 2:
        raise ValueError(f"{p_name} must have shape [batch, classes], got {p_name}={tuple(p_logits.shape)}")


def _at_least_float32(logits: Tensor) -> Tensor:
    """Half precision is too coarse for divergences (and AMP hands us float16 logits)."""
    if not logits.dtype.is_floating_point or torch.finfo(logits.dtype).bits < 32:
        return logits.float()
    return logits


def _log_probs(logits: Tensor, temperature: float) -> Tensor:
    """log softmax(logits / T), in float32 at least."""
    return F.log_softmax(_at_least_float32(logits) / temperature, dim=-1)


def _kl(log_p: Tensor, log_q: Tensor) -> Tensor:
    """KL(P || Q) = sum_i p_i (log p_i - log q_i), with 0 log 0 = 0 (in the value and in the gradient)."""
    ratio = torch.where(torch.isneginf(log_p), torch.zeros_like(log_p), _log_ratio(log_p, log_q))
    return (log_p.exp() * ratio).sum(-1)


class _RenyiFiniteOrder(torch.autograd.Function):
    """D_alpha(P || Q) per row from log-probabilities, for 0.5 <= alpha < inf, alpha != 1.

    Forward, with r = log p - log q and d = alpha - 1: ``Z = sum_i p_i^alpha q_i^(1-alpha) = sum_i p_i e^(d r_i)``
    and ``D = log Z / d``. Far from alpha = 1 the logsumexp form is accurate. Near it, ``log Z`` is tiny and
    dividing its rounding error by d is ruinous, so there ``log Z = log1p(sum_i p_i expm1(d r_i))``, which uses
    sum_i p_i = 1 exactly and keeps the relative accuracy of every term.

    Backward, with the tilted distribution ``w = p^alpha q^(1-alpha) / Z`` (thesis eq. 1.8):
    ``dD/dlog q = q - w`` and ``dD/dlog p = alpha/d (w - p) = alpha/d p expm1(d (r - D))``; both sum to zero,
    so log_softmax's backward passes them through and the logits get ``(q - w)/T`` and ``alpha/d (w - p)/T``.
    The expm1 form keeps the first argument's gradient accurate as alpha -> 1 (used by the skew identity).
    Written by hand because autograd through the two branches costs several times the classic KD loss.
    """

    @staticmethod
    def forward(ctx, log_p: Tensor, log_q: Tensor, alpha: float) -> Tensor:  # type: ignore[override]
        d = alpha - 1.0
        log_terms = alpha * log_p + (1.0 - alpha) * log_q  # log(p_i^alpha q_i^(1-alpha)); -inf where p_i = 0
        if alpha > 1.0:  # -inf + inf where p_i = q_i = 0: that class carries no mass
            log_terms = log_terms.nan_to_num(nan=-math.inf, posinf=math.inf, neginf=-math.inf)
        log_z = torch.logsumexp(log_terms, dim=-1)
        near = log_z.abs() < _SERIES_LOG_Z
        if near.all():  # the common case late in training, when the student is close to the teacher
            log_z = _log1p_series(log_p, log_q, log_terms, d)
        elif near.any():
            rows = near.nonzero().squeeze(-1)
            log_z[rows] = _log1p_series(log_p[rows], log_q[rows], log_terms[rows], d)
        divergence = log_z / d
        ctx.save_for_backward(log_p, log_q, log_terms, divergence)
        ctx.alpha = alpha
        return divergence

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple[Tensor | None, Tensor | None, None]:  # type: ignore[override]
        log_p, log_q, log_terms, divergence = ctx.saved_tensors
        alpha, d = ctx.alpha, ctx.alpha - 1.0
        grad, divergence = grad.unsqueeze(-1), divergence.unsqueeze(-1)
        tilted = torch.softmax(log_terms, dim=-1)  # w, normalised without going through D (large alpha)
        grad_p = grad_q = None
        if ctx.needs_input_grad[1]:
            grad_q = grad * (log_q.exp() - tilted)
        if ctx.needs_input_grad[0]:
            p = log_p.exp()
            if abs(d) < 0.5:  # w - p = p (e^x - 1), x = d (r - D): no cancellation as alpha -> 1
                x = d * _log_ratio(log_p, log_q).sub(divergence)
                difference = _p_expm1(p, log_terms - d * divergence, x)
            else:
                difference = tilted - p
            grad_p = grad * (alpha / d) * difference
        return grad_p, grad_q, None


def _log_ratio(log_p: Tensor, log_q: Tensor) -> Tensor:
    """log p - log q, with 0 where both are zero (-inf - -inf) instead of NaN: such a class carries no mass."""
    return torch.where(torch.isneginf(log_p) & torch.isneginf(log_q), torch.zeros_like(log_p), log_p - log_q)


def _p_expm1(p: Tensor, log_p_exp: Tensor, x: Tensor) -> Tensor:
    """``p (e^x - 1)`` given also ``log(p e^x)``: accurate to a few ulp for every x.

    For x <= 1, ``e^x - 1 = 2 tanh(x/2) / (1 - tanh(x/2))`` with ``1 - tanh(x/2) >= 0.53``: no cancellation,
    and tanh is vectorised on CPUs where expm1 is not. For x > 1 the plain difference has no cancellation
    and never multiplies a tiny p by a huge e^x.
    """
    t = torch.tanh(0.5 * x)
    return torch.where(x > 1.0, log_p_exp.exp() - p, p * (2.0 * t / (1.0 - t)))


def _log1p_series(log_p: Tensor, log_q: Tensor, log_terms: Tensor, d: float) -> Tensor:
    """log Z = log1p(sum_i p_i (e^(d r_i) - 1)), exact to a few ulp of each term however small d is.

    Only called for rows with |log Z| < 1/2, where every p_i e^(d r_i) <= Z stays finite.
    """
    terms = _p_expm1(log_p.exp(), log_terms, d * _log_ratio(log_p, log_q))
    return torch.log1p(terms.sum(-1))


def _renyi_finite_order(log_p: Tensor, log_q: Tensor, alpha: float) -> Tensor:
    return _RenyiFiniteOrder.apply(log_p, log_q, alpha)


def _renyi_order_zero(log_p: Tensor, log_q: Tensor) -> Tensor:
    """D_0 = -log Q(supp P). Written as -log1p(-Q(outside)) it is exactly 0 for full support."""
    outside = torch.isneginf(log_p)
    q_outside = log_q.exp().masked_fill(~outside, 0.0).sum(-1)
    on_support = -torch.logsumexp(log_q.masked_fill(outside, -math.inf), dim=-1)
    return torch.where(q_outside < 0.5, -torch.log1p(-q_outside.clamp(max=0.5)), on_support)


def _renyi_from_log_probs(log_p: Tensor, log_q: Tensor, alpha: float) -> Tensor:
    # Every order is >= 0 in exact arithmetic: the value is clamped to remove rounding noise around P = Q,
    # but the gradient is passed through, since it is not zero there (only the rounded value is).
    divergence = _renyi_unclamped(log_p, log_q, alpha)
    return divergence + (divergence.clamp_min(0.0) - divergence).detach()


def _renyi_unclamped(log_p: Tensor, log_q: Tensor, alpha: float) -> Tensor:
    if alpha == 0.0:
        return _renyi_order_zero(log_p, log_q)
    if math.isinf(alpha):
        return _log_ratio(log_p, log_q).amax(dim=-1)
    if alpha == 1.0:
        return _kl(log_p, log_q)
    if alpha < 0.5:
        # Skew symmetry: D_alpha(P||Q) = alpha/(1-alpha) D_{1-alpha}(Q||P). For small alpha the direct
        # form divides a rounding error by (1 - alpha) but loses the factor alpha to cancellation.
        return alpha / (1.0 - alpha) * _renyi_from_log_probs(log_q, log_p, 1.0 - alpha)
    return _renyi_finite_order(log_p, log_q, alpha)


def renyi_divergence(p_logits: Tensor, q_logits: Tensor, alpha: float, temperature: float = 1.0) -> Tensor:
    """Rényi divergence ``D_alpha(softmax(p/T) || softmax(q/T))`` per row, shape ``[batch]``.

    Every order ``alpha`` in ``[0, inf]`` is accepted (``float("inf")`` included). Computed in log space,
    continuous across ``alpha = 1`` (where it equals KL) and differentiable in both arguments. Inputs in
    half precision are computed in float32; float32 and float64 stay in their dtype.
    """
    alpha = _check_order(alpha)
    temperature = _check_temperature(temperature)
    _check_pair(p_logits, q_logits, "p_logits", "q_logits")
    return _renyi_from_log_probs(_log_probs(p_logits, temperature), _log_probs(q_logits, temperature), alpha)


def _check_scaling(scaling: str) -> None:
    if scaling not in SCALINGS:
        raise ValueError(f"scaling must be one of {SCALINGS}, got scaling={scaling!r}")


def renyi_soft_term(
    student_logits: Tensor,
    teacher_logits: Tensor,
    *,
    alpha: float,
    temperature: float,
    scaling: str = "thesis",
) -> Tensor:
    """``s * mean_batch D_alpha(P_T || Q_T)`` with ``s = T^2/alpha`` ("thesis") or ``T^2`` ("hinton").

    With thesis scaling, alpha = 0 is the limit ``T^2 KL(Q_T || P_T)`` (reverse KL), and small alpha is
    computed as ``T^2 / (1 - alpha) * D_{1-alpha}(Q || P)`` so that nothing is divided by a tiny alpha.
    """
    alpha = _check_order(alpha)
    temperature = _check_temperature(temperature)
    _check_scaling(scaling)
    _check_pair(teacher_logits, student_logits, "teacher_logits", "student_logits")
    log_p = _log_probs(teacher_logits, temperature)
    log_q = _log_probs(student_logits, temperature)
    if scaling == "thesis" and alpha < 0.5:
        reverse_order = 1.0 - alpha
        return temperature**2 / reverse_order * _renyi_from_log_probs(log_q, log_p, reverse_order).mean()
    scale = temperature**2 / alpha if scaling == "thesis" else temperature**2
    return scale * _renyi_from_log_probs(log_p, log_q, alpha).mean()


class SoftTerm(Protocol):
    def __call__(
        self, student_logits: Tensor, teacher_logits: Tensor, *, temperature: float, scaling: str, **params: float
    ) -> Tensor: ...


# Divergence families by name. A new family is one pure function here and one entry below; methods in
# config.yaml name the family (`divergence: renyi`) and its parameters (`alpha: 0.5`).
SOFT_TERMS: dict[str, SoftTerm] = {"renyi": renyi_soft_term}


def _check_beta(beta: float) -> float:
    if isinstance(beta, bool) or not isinstance(beta, (int, float)) or not (0.0 <= float(beta) <= 1.0):
        raise ValueError(f"beta must be in [0, 1], got beta={beta!r}")
    return float(beta)


def kd_loss(
    student_logits: Tensor,
    teacher_logits: Tensor | None,
    targets: Tensor | None,
    *,
    divergence: str,
    beta: float,
    temperature: float,
    scaling: str = "thesis",
    **params: float,
) -> Tensor:
    """``(1 - beta) * CE(targets, student) + beta * soft_term`` for any registered divergence family.

    ``targets=None`` gives the pure soft term (``beta`` is then only checked). With ``beta = 0`` the teacher
    is not needed (``teacher_logits`` may be None): that is a student trained alone.
    """
    beta = _check_beta(beta)
    if divergence not in SOFT_TERMS:
        raise ValueError(f"divergence must be one of {sorted(SOFT_TERMS)}, got divergence={divergence!r}")
    soft_term = SOFT_TERMS[divergence]
    if targets is None:
        if teacher_logits is None:
            raise ValueError("teacher_logits=None needs targets and beta=0 (a student trained alone)")
        return soft_term(student_logits, teacher_logits, temperature=temperature, scaling=scaling, **params)

    if targets.shape[0] != student_logits.shape[0]:
        raise ValueError(
            f"targets must have one entry per row of student_logits, got targets={tuple(targets.shape)} "
            f"and student_logits={tuple(student_logits.shape)}"
        )
    hard = F.cross_entropy(_at_least_float32(student_logits), targets)
    if beta == 0.0:
        _check_temperature(temperature)
        if teacher_logits is not None:
            _check_pair(teacher_logits, student_logits, "teacher_logits", "student_logits")
        return hard
    if teacher_logits is None:
        raise ValueError(f"teacher_logits=None is only allowed with beta=0, got beta={beta!r}")
    soft = soft_term(student_logits, teacher_logits, temperature=temperature, scaling=scaling, **params)
    return (1.0 - beta) * hard + beta * soft


def distillation_loss(
    student_logits: Tensor,
    teacher_logits: Tensor | None,
    targets: Tensor | None,
    *,
    alpha: float,
    beta: float,
    temperature: float,
    scaling: str = "thesis",
) -> Tensor:
    """Rényi distillation loss ``(1 - beta) * CE(y, softmax(z)) + beta * s * mean D_alpha(P_T || Q_T)``.

    ``s = T^2 / alpha`` for ``scaling="thesis"`` (Hinton's ``T^2`` at alpha = 1), ``s = T^2`` for
    ``"hinton"``. ``alpha = 0`` with thesis scaling is the reverse-KL limit ``T^2 KL(Q_T || P_T)``.
    ``targets=None`` returns the pure soft term. Invalid arguments raise ``ValueError`` naming them.
    """
    alpha = _check_order(alpha)
    return kd_loss(
        student_logits,
        teacher_logits,
        targets,
        divergence="renyi",
        beta=beta,
        temperature=temperature,
        scaling=scaling,
        alpha=alpha,
    )


class DistillationLoss(torch.nn.Module):
    """``torch.nn.Module`` wrapper of :func:`kd_loss` for use in any training loop.

    >>> criterion = DistillationLoss(alpha=0.5, beta=0.7, temperature=4.0)
    >>> loss = criterion(student_logits, teacher_logits, targets)  # doctest: +SKIP
    """

    def __init__(
        self,
        *,
        beta: float,
        temperature: float,
        scaling: str = "thesis",
        divergence: str = "renyi",
        **params: float,
    ) -> None:
        super().__init__()
        # Validate once, eagerly, so a bad configuration fails before training starts.
        _check_beta(beta)
        _check_temperature(temperature)
        _check_scaling(scaling)
        if divergence not in SOFT_TERMS:
            raise ValueError(f"divergence must be one of {sorted(SOFT_TERMS)}, got divergence={divergence!r}")
        if "alpha" in params:
            _check_order(params["alpha"])
        self.divergence = divergence
        self.beta = beta
        self.temperature = temperature
        self.scaling = scaling
        self.params = params

    def forward(self, student_logits: Tensor, teacher_logits: Tensor | None, targets: Tensor | None) -> Tensor:
        return kd_loss(
            student_logits,
            teacher_logits,
            targets,
            divergence=self.divergence,
            beta=self.beta,
            temperature=self.temperature,
            scaling=self.scaling,
            **self.params,
        )

    def extra_repr(self) -> str:
        params = [f"{k}={v}" for k, v in self.params.items()]
        fields = [f"divergence={self.divergence}", *params, f"beta={self.beta}", f"T={self.temperature}",
                  f"scaling={self.scaling}"]
        return ", ".join(fields)
