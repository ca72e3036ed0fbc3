"""Total variation distance from log-probabilities."""

from __future__ import annotations

import torch
from torch import Tensor

from renyi_kd.losses.elementwise import expm1
from renyi_kd.losses.logprobs import without_impossible


def tv(log_p: Tensor, log_q: Tensor) -> Tensor:
    """``TV(P, Q) = 1/2 sum_i |p_i - q_i|`` per row.

    Each term is ``max(p_i, q_i) (1 - e^(-|log p_i - log q_i|))``, which keeps its relative accuracy when
    p_i and q_i nearly agree (their difference would cancel).
    """
    log_p, log_q = without_impossible(log_p, log_q)
    gap = -expm1(-(log_p - log_q).abs())
    return 0.5 * (torch.maximum(log_p, log_q).exp() * gap).sum(dim=-1)
