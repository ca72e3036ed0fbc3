"""Optimisers and learning-rate schedules as data: a name in the config, one entry in a registry here.

SGD with momentum is the default because it is not invariant to a constant factor on the loss: under
AdamW the T^2/alpha scaling of the soft term would only reweight beta, so the thesis's scaling question
(its eq. 1.7-1.8 reason about gradient magnitudes) needs an optimiser that sees the loss's scale.

Schedules give the learning rate of each epoch as a pure function of the epoch, so a resumed run needs no
scheduler state: a linear warm-up over ``warmup_epochs`` (epoch e gets ``lr (e + 1) / (warmup + 1)``),
then ``cosine`` annealing towards 0 over the remaining epochs, or ``multistep`` (``lr * gamma^k`` after
the k-th milestone, milestones in epochs of the whole run).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # torch is imported where an optimiser is built: config validation reads the schedules only
    import torch

    from renyi_kd.experiment import ScheduleConfig


def _sgd(params: Iterable, *, lr: float, weight_decay: float, momentum: float, nesterov: bool) -> "torch.optim.Optimizer":
    import torch

    return torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay,
                           nesterov=nesterov and momentum > 0)


def _adamw(params: Iterable, *, lr: float, weight_decay: float, momentum: float, nesterov: bool) -> "torch.optim.Optimizer":
    import torch

    return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)  # AdamW has its own betas


OPTIMIZERS: dict[str, Callable[..., Any]] = {"sgd": _sgd, "adamw": _adamw}


@dataclass(frozen=True)
class Schedule:
    """``name`` in :data:`SCHEDULES`; ``milestones`` and ``gamma`` are read by ``multistep`` only."""

    name: str = "cosine"
    warmup_epochs: int = 0
    milestones: tuple[int, ...] = field(default_factory=tuple)
    gamma: float = 0.1

    @classmethod
    def from_config(cls, section: ScheduleConfig, *, epochs: int | None = None,
                    reference_epochs: int | None = None) -> "Schedule":
        """From a config ``schedule`` block. A run of ``epochs`` instead of the ``reference_epochs`` the
        milestones were written for (a tuning trial shorter than the final run) keeps the schedule's shape:
        milestones and warm-up scale by ``epochs / reference_epochs``."""
        factor = 1.0 if not epochs or not reference_epochs else epochs / reference_epochs
        return cls(
            name=section.name,
            warmup_epochs=round(section.warmup_epochs * factor),
            milestones=tuple(round(m * factor) for m in section.milestones),
            gamma=float(section.gamma),
        )


def _cosine(schedule: Schedule, epoch: int, epochs: int) -> float:
    """Factor ``(1 + cos(pi e / E)) / 2`` of the ``E`` epochs after warm-up."""
    return 0.5 * (1.0 + math.cos(math.pi * epoch / max(epochs, 1)))


def _multistep(schedule: Schedule, epoch: int, epochs: int) -> float:
    """Factor ``gamma^k`` with k the number of milestones reached (counted in epochs of the whole run)."""
    reached = sum(epoch + schedule.warmup_epochs >= m for m in schedule.milestones)
    return schedule.gamma**reached


SCHEDULES: dict[str, Callable[[Schedule, int, int], float]] = {"cosine": _cosine, "multistep": _multistep}


def learning_rate(schedule: Schedule, base_lr: float, epoch: int, epochs: int) -> float:
    """The learning rate of epoch ``epoch`` (0-based) of a run of ``epochs`` epochs."""
    warmup = schedule.warmup_epochs
    if epoch < warmup:
        return base_lr * (epoch + 1) / (warmup + 1)
    return base_lr * SCHEDULES[schedule.name](schedule, epoch - warmup, epochs - warmup)


def check_schedule(schedule: Schedule, epochs: int) -> list[str]:
    """Problems of ``schedule`` for a run of ``epochs`` epochs (empty when it can run), for config errors."""
    problems = []
    if schedule.name not in SCHEDULES:
        problems.append(f"unknown schedule {schedule.name!r} (known: {', '.join(SCHEDULES)})")
    if schedule.warmup_epochs >= epochs:
        problems.append(f"warmup_epochs {schedule.warmup_epochs} leaves no epoch of the {epochs} to schedule")
    if list(schedule.milestones) != sorted(set(schedule.milestones)) or any(not 0 < m < epochs for m in schedule.milestones):
        problems.append(f"milestones {list(schedule.milestones)} must increase strictly within (0, {epochs})")
    return problems


def make_optimizer(params: Iterable, name: str, **settings: float | bool) -> "torch.optim.Optimizer":
    if name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r} (known: {', '.join(OPTIMIZERS)})")
    return OPTIMIZERS[name](params, **settings)
