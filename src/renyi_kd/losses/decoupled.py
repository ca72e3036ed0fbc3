"""Decoupled knowledge distillation (Zhao et al., CVPR 2022): target and non-target parts of KL."""

from __future__ import annotations

import math

import torch
from torch import Tensor

from renyi_kd.losses.kl import kl
from renyi_kd.losses.logprobs import log_probs


def _split_at_target(log_probs_: Tensor, targets: Tensor) -> tuple[Tensor, Tensor]:
    """``(log b, log p_hat)``: the binary ``b = (p_t, 1 - p_t)`` and the distribution over the other classes
    ``p_hat_i = p_i / (1 - p_t)`` (log 0 at the target).

    ``log(1 - p_t)`` is ``log1p(-p_t)`` for p_t < 1/2 (a logsumexp of the others would lose a small p_t to
    rounding) and the logsumexp of the others above (where 1 - p_t itself would cancel).
    """
    index = targets.reshape(-1, 1)
    log_target = log_probs_.gather(1, index)
    others = log_probs_.scatter(1, index, -math.inf)
    small_target = log_target < -math.log(2.0)
    log_rest = torch.where(
        small_target, torch.log1p(-log_target.clamp(max=-math.log(2.0)).exp()), torch.logsumexp(others, dim=-1, keepdim=True)
    )
    return torch.cat([log_target, log_rest], dim=1), others - log_rest


def dkd(
    teacher_logits: Tensor,
    student_logits: Tensor,
    targets: Tensor,
    *,
    temperature: float,
    tckd_weight: float,
    nckd_weight: float,
) -> Tensor:
    """``tckd_weight * TCKD + nckd_weight * NCKD`` per row, at temperature T for both sides.

    ``TCKD = KL(b^T || b^S)`` with ``b = (p_t, 1 - p_t)`` of the target class t, and
    ``NCKD = KL(p_hat^T || p_hat^S)`` over the non-target classes renormalised. KD is the special case
    ``KL(P || Q) = TCKD + (1 - p_t^T) NCKD`` (the paper's eq. 1); DKD frees the two weights (its alpha and
    beta, renamed here because alpha and beta mean the Rényi order and the soft-term weight).
    """
    teacher_binary, teacher_others = _split_at_target(log_probs(teacher_logits, temperature), targets)
    student_binary, student_others = _split_at_target(log_probs(student_logits, temperature), targets)
    return tckd_weight * kl(teacher_binary, student_binary) + nckd_weight * kl(teacher_others, student_others)
