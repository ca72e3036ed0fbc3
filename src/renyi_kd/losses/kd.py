"""The distillation loss ``(1 - beta) CE(y, softmax(z)) + beta * soft_term`` for any registered family."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from renyi_kd.losses.checks import check_beta, check_label_smoothing, check_pair
from renyi_kd.losses.logprobs import at_least_float32
from renyi_kd.losses.soft_term import SoftTerm, divergence


def _kd_loss(
    soft_term: SoftTerm, beta: float, student_logits: Tensor, teacher_logits: Tensor | None, targets: Tensor | None,
    label_smoothing: float = 0.0,
) -> Tensor:
    if targets is None:
        if teacher_logits is None:
            raise ValueError("teacher_logits=None needs targets and beta=0 (a student trained alone)")
        return soft_term(student_logits, teacher_logits, None)
    if targets.shape[0] != student_logits.shape[0]:
        raise ValueError(
            f"targets must have one entry per row of student_logits, got targets={tuple(targets.shape)} "
            f"and student_logits={tuple(student_logits.shape)}"
        )
    hard = F.cross_entropy(at_least_float32(student_logits), targets, label_smoothing=label_smoothing)
    if beta == 0.0:
        if teacher_logits is not None:
            check_pair(teacher_logits, student_logits, "teacher_logits", "student_logits")
        return hard
    if teacher_logits is None:
        raise ValueError(f"teacher_logits=None is only allowed with beta=0, got beta={beta!r}")
    return (1.0 - beta) * hard + beta * soft_term(student_logits, teacher_logits, targets)


def kd_loss(
    student_logits: Tensor,
    teacher_logits: Tensor | None,
    targets: Tensor | None,
    *,
    divergence: str,
    beta: float,
    temperature: float,
    scaling: str | None = None,
    standardize: bool = False,
    label_smoothing: float = 0.0,
    **params: float,
) -> Tensor:
    """``(1 - beta) * CE(targets, softmax(z)) + beta * s * mean_batch term`` for the family ``divergence``.

    ``scaling=None`` is the family's default (``FAMILIES[divergence].default_scaling``); ``params`` are the
    family's parameters by their registry names. ``targets=None`` gives the pure soft term (``beta`` is
    then only checked; families that need the labels refuse it). With ``beta = 0`` the teacher is not
    needed (``teacher_logits`` may be None): that is a student trained alone. ``label_smoothing`` smooths
    the hard-label term only (torch's ``cross_entropy(..., label_smoothing)``).
    """
    beta = check_beta(beta)
    soft_term = SoftTerm.build(divergence, temperature=temperature, scaling=scaling, standardize=standardize, **params)
    return _kd_loss(soft_term, beta, student_logits, teacher_logits, targets, check_label_smoothing(label_smoothing))


class DistillationLoss(torch.nn.Module):
    """``torch.nn.Module`` form of :func:`kd_loss`; every argument is checked here, before training starts.

    >>> criterion = DistillationLoss(alpha=0.5, beta=0.7, temperature=4.0)  # Rényi, thesis scaling
    >>> loss = criterion(student_logits, teacher_logits, targets)  # doctest: +SKIP
    """

    def __init__(
        self,
        *,
        beta: float,
        temperature: float,
        divergence: str = "renyi",
        scaling: str | None = None,
        standardize: bool = False,
        label_smoothing: float = 0.0,
        **params: float,
    ) -> None:
        super().__init__()
        self.beta = check_beta(beta)
        self.label_smoothing = check_label_smoothing(label_smoothing)
        self.soft_term = SoftTerm.build(
            divergence, temperature=temperature, scaling=scaling, standardize=standardize, **params
        )

    def forward(self, student_logits: Tensor, teacher_logits: Tensor | None, targets: Tensor | None) -> Tensor:
        return _kd_loss(self.soft_term, self.beta, student_logits, teacher_logits, targets, self.label_smoothing)

    def extra_repr(self) -> str:
        smoothing = f", label_smoothing={self.label_smoothing}" if self.label_smoothing else ""
        return f"{self.soft_term.describe()}, beta={self.beta}{smoothing}"


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
    """
    return kd_loss(student_logits, teacher_logits, targets, divergence="renyi", beta=beta, temperature=temperature,
                   scaling=scaling, alpha=alpha)


def renyi_divergence(p_logits: Tensor, q_logits: Tensor, alpha: float, temperature: float = 1.0) -> Tensor:
    """Rényi divergence ``D_alpha(softmax(p/T) || softmax(q/T))`` per row, shape ``[batch]``, alpha in [0, inf].

    Computed in log space, continuous across ``alpha = 1`` (where it equals KL), accurate for small alpha,
    differentiable in both arguments with the gradient of thesis eq. (1.8).
    """
    return divergence("renyi", p_logits, q_logits, temperature=temperature, alpha=alpha)


def renyi_soft_term(
    student_logits: Tensor, teacher_logits: Tensor, *, alpha: float, temperature: float, scaling: str = "thesis"
) -> Tensor:
    """``s * mean_batch D_alpha(P_T || Q_T)`` with ``s = T^2/alpha`` ("thesis") or ``T^2`` ("hinton").

    With thesis scaling, alpha = 0 is the limit ``T^2 KL(Q_T || P_T)`` (reverse KL), and small alpha is
    computed as ``T^2 / (1 - alpha) * D_{1-alpha}(Q || P)`` so that nothing is divided by a tiny alpha.
    """
    return SoftTerm.build("renyi", temperature=temperature, scaling=scaling, alpha=alpha)(student_logits, teacher_logits)
