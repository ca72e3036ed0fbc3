"""The alpha-beta divergence of Cichocki, Cruces & Amari (2011), as used for distillation by ABKD (ICML 2025)."""

from __future__ import annotations

import math
from itertools import count

import torch
from torch import Tensor

from renyi_kd.losses.elementwise import blend, horner
from renyi_kd.losses.logprobs import without_impossible


def _g_series(y: Tensor) -> Tensor:
    """``g(y) = (e^y - 1 - y) / y^2 = sum_k y^k / (k + 2)!`` for |y| <= 1, to the precision of y's dtype."""
    eps = torch.finfo(y.dtype).eps
    terms = next(n for n in count(1) if 1.0 / math.factorial(n + 2) < eps / 4)
    return horner(y, [1.0 / math.factorial(k + 2) for k in range(terms)])


def _half(tilted: Tensor, delta: Tensor, c: float, s: float, log_power: Tensor) -> Tensor:
    """``(c / s) t delta^2 g(c delta) = (x^s - t (1 + c delta)) / (s c)`` per class, >= 0 for c >= 0.

    ``t = p^a q^b`` and ``x^s`` is ``p^s`` or ``q^s`` (``log_power`` is its log base). The series form serves
    |c delta| < 1, where the closed form would cancel; at s = 0 both halves have weight 1/2.
    """
    y = c * delta
    weight = c / s if s > 0 else 0.5
    series = (weight * tilted * delta) * (delta * _g_series(y.clamp(-1.0, 1.0)))
    if c == 0:
        return series
    closed = (torch.exp(s * log_power) - tilted * (1.0 + y)) / (s * c)
    return blend(y.abs() < 1.0, series, closed)


def alpha_beta(log_p: Tensor, log_q: Tensor, ab_alpha: float, ab_beta: float) -> Tensor:
    """``D_AB(P || Q) = -1/(a b) sum_i (p_i^a q_i^b - a/(a+b) p_i^(a+b) - b/(a+b) q_i^(a+b))`` per row.

    a = ``ab_alpha``, b = ``ab_beta`` >= 0. With ``delta = log p - log q`` and ``s = a + b`` it equals
    ``sum_i p_i^a q_i^b delta_i^2 [b/s g(b delta_i) + a/s g(-a delta_i)]``, ``g(y) = (e^y - 1 - y)/y^2``:
    every term is >= 0 and the limits come out continuously: (1, 0) is KL(P || Q), (0, 1) is KL(Q || P),
    a + b = 1 is Amari's alpha-divergence of order a, and (0, 0) is ``1/2 sum_i delta_i^2``.
    """
    log_p, log_q = without_impossible(log_p, log_q)
    log_q, log_p = without_impossible(log_q, log_p)  # both ways: q = 0 < p is finite here when b > 0
    s = ab_alpha + ab_beta
    delta = log_p - log_q
    tilted = torch.exp(ab_alpha * log_p + ab_beta * log_q)
    return (_half(tilted, delta, ab_beta, s, log_p) + _half(tilted, -delta, ab_alpha, s, log_q)).sum(dim=-1)
