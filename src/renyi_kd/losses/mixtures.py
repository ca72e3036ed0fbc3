"""Divergences from a mixture M = lam P + (1 - lam) Q: Jensen-Shannon and the skew KL divergence."""

from __future__ import annotations

import math

import torch
from torch import Tensor

from renyi_kd.losses.elementwise import blend, expm1, horner, logaddexp, series_terms
from renyi_kd.losses.logprobs import without_impossible

# kappa(u) = u - log1p(u) loses its digits to cancellation for small u; below this |u| it is taken from the
# series u^2/(2 + u) - 2 w^3 sum_k w^(2k)/(2k + 3), w = u/(2 + u), whose term ratio w^2 is then < 1/49.
_SMALL_U = 0.25
_W_SQUARED_MAX = (_SMALL_U / (2 - _SMALL_U)) ** 2
# u is only needed where it is small; capping its exponent keeps e^x finite.
_EXPONENT_CAP = 50.0


def _kappa_series(u: Tensor) -> Tensor:
    """``u - log1p(u)`` for |u| <= 1/4 via atanh's series, without the cancellation of the difference."""
    w = u / (2.0 + u)
    w_squared = w * w
    coefficients = [1.0 / (2 * k + 3) for k in range(series_terms(u.dtype, _W_SQUARED_MAX))]
    return u * u / (2.0 + u) - 2.0 * w * w_squared * horner(w_squared, coefficients)


def _kl_to_mixture_terms(log_p: Tensor, log_q: Tensor, lam: float) -> Tensor:
    """Per class ``p (log p - log m) + m - p`` with ``m = lam p + (1 - lam) q``: >= 0, summing to KL(P || M).

    With ``u = m/p - 1 = (1 - lam) expm1(log q - log p)`` the term is ``p (u - log1p(u))``: a series for
    small u (where P and M nearly agree) and ``(1 - lam)(q - p) - p log(m/p)`` otherwise, with
    ``log(m/p) = logaddexp(log lam, log(1 - lam) + log q - log p)`` in log space (u may be near -1 or huge).
    """
    if lam == 1.0:
        return torch.zeros_like(log_p)
    log_p, log_q = without_impossible(log_p, log_q)
    p = log_p.exp()
    minus_ratio = log_q - log_p
    u = expm1(minus_ratio.clamp(max=_EXPONENT_CAP)).mul_(1.0 - lam)
    log_mix = logaddexp(math.log(lam) if lam > 0 else -math.inf, minus_ratio + math.log1p(-lam))
    closed = (1.0 - lam) * (log_q.exp() - p) - p * log_mix
    series = p * _kappa_series(u.clamp(-_SMALL_U, _SMALL_U))
    return blend(u.abs() < _SMALL_U, series, closed)


def skew_kl(log_p: Tensor, log_q: Tensor, lam: float) -> Tensor:
    """``KL(P || lam P + (1 - lam) Q)`` per row (Lee 1999): KL(P || Q) at lam = 0, 0 at lam = 1."""
    return _kl_to_mixture_terms(log_p, log_q, lam).sum(dim=-1)


def js(log_p: Tensor, log_q: Tensor, lam: float) -> Tensor:
    """``lam KL(P || M) + (1 - lam) KL(Q || M)``, ``M = lam P + (1 - lam) Q``, per row (Lin 1991).

    lam = 1/2 is the Jensen-Shannon divergence; it tends to 0 like ``lam KL(P || Q)`` as lam -> 0. Both
    parts are sums of non-negative terms, so values near the limits keep their relative accuracy.
    """
    forward = _kl_to_mixture_terms(log_p, log_q, lam).sum(dim=-1)
    backward = _kl_to_mixture_terms(log_q, log_p, 1.0 - lam).sum(dim=-1)
    return lam * forward + (1.0 - lam) * backward
