"""What a student's soft term is compared with: the teacher's logits for the very view the student sees.

A registry (``distillation.teacher_outputs``):

- ``cached``: the logits of the un-augmented images, exported once (exact only without augmentation; the
  config refuses it with one).
- ``views``: the logits of K fixed augmented views of every training image, exported once; in each epoch
  every image shows one of its views (chosen by (seed, epoch, image)) and the lookup takes that view's
  logits ("function matching" with a fixed set of views, as in FKD).
- ``online``: the teacher runs on the student's own augmented batch (Beyer et al., CVPR 2022, "consistent
  teaching"), so any augmentation is exact at the cost of a teacher forward pass per step.

A soft-target function maps ``(x, idx, seed, epoch)`` (the batch the student sees, its dataset indices, the
run's seed and the epoch) to teacher logits on the student's device.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor, nn

from renyi_kd.data.augment import AugmentPolicy

if TYPE_CHECKING:
    from renyi_kd.experiment import Experiment
    from renyi_kd.training.logits import TeacherLogits
    from renyi_kd.training.runtime import Runtime

SoftTargets = Callable[[Tensor, Tensor, int, int], Tensor]
TEACHER_OUTPUTS = ("cached", "views", "online")


def student_augmentation(experiment: "Experiment", teacher: int) -> AugmentPolicy:
    """What every student of teacher ``teacher``'s clusters sees in training: with ``views``, one of K fixed views
    per image (view v of image i is the draw (teacher seed, epoch 0, i, v)); otherwise a fresh augmentation per
    epoch."""
    name, distillation = experiment.data.augmentation, experiment.distillation
    if distillation.teacher_outputs == "views":
        return AugmentPolicy(name, views=distillation.views, view_seed=teacher)
    return AugmentPolicy(name)


def views_record(policy: AugmentPolicy) -> dict[str, Any] | None:
    """What the exported views were made with (the logit file's header; checked when students load it)."""
    if policy.views is None:
        return None
    return {"augmentation": policy.name, "views": policy.views, "view_seed": policy.view_seed}


def cached(logits: "TeacherLogits") -> SoftTargets:
    def soft_targets(x: Tensor, idx: Tensor, seed: int, epoch: int) -> Tensor:
        return logits(idx)

    return soft_targets


def views(logits: "TeacherLogits", policy: "AugmentPolicy") -> SoftTargets:
    """The logits of the fixed view ``policy.views_of(idx, seed, epoch)`` that the batch shows."""

    def soft_targets(x: Tensor, idx: Tensor, seed: int, epoch: int) -> Tensor:
        return logits.of_views(idx, policy.views_of(idx, seed=seed, epoch=epoch))

    return soft_targets


def online(teacher: nn.Module, runtime: "Runtime") -> SoftTargets:
    """The teacher (in eval mode, no gradients) on the student's batch, with the student's precision settings."""
    teacher = runtime.prepare_model(teacher).eval()
    for parameter in teacher.parameters():
        parameter.requires_grad_(False)

    @torch.no_grad()
    def soft_targets(x: Tensor, idx: Tensor, seed: int, epoch: int) -> Tensor:
        with runtime.autocast():
            return teacher(x).float()

    return soft_targets
