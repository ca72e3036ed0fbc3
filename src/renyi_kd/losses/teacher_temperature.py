"""Transformed teacher matching (Zheng & Yang, ICLR 2024): only the teacher is tempered."""

from __future__ import annotations

import torch
from torch import Tensor

from renyi_kd.losses.kl import kl
from renyi_kd.losses.logprobs import log_probs


def ttm(teacher_logits: Tensor, student_logits: Tensor, targets: Tensor | None, *, temperature: float) -> Tensor:
    """``KL(softmax(v / T) || softmax(z))`` per row: the teacher's power transform ``p^(1/T)`` normalised
    (gamma = 1/T in the paper) matched by the untempered student."""
    return kl(log_probs(teacher_logits, temperature), log_probs(student_logits, 1.0))


def wttm(teacher_logits: Tensor, student_logits: Tensor, targets: Tensor | None, *, temperature: float) -> Tensor:
    """``U(p) KL(softmax(v / T) || softmax(z))`` per row with ``U(p) = sum_i p_i^(1/T)``, ``p = softmax(v)``:
    weighted TTM, which weights smoother teacher outputs more (the paper's sample-adaptive coefficient)."""
    weight = torch.logsumexp(log_probs(teacher_logits, 1.0) / temperature, dim=-1).exp()
    return weight * ttm(teacher_logits, student_logits, targets, temperature=temperature)
