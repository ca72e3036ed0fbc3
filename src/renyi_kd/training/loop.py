"""One training loop for teacher and student: the method is the criterion, never a branch here.

A teacher is a student with ``beta = 0`` and no teacher outputs. Batches come from a
:class:`~renyi_kd.data.device_batches.BatchSource` (in-memory data lives on the training device, augmented there as
whole batches). Each epoch ends with a validation pass (never augmented; a tuning trial skips it outside the
pruner's rungs and its last epoch), a callback (MLflow logging, Optuna pruning) and, when ``state_path`` is
given, a checkpoint from which a killed job resumes to the same numbers:
data order and augmentation depend only on (seed, epoch, image), the RNG state is saved.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn
from tqdm.auto import tqdm

from renyi_kd.data.augment import AugmentPolicy
from renyi_kd.data.device_batches import BatchSource
from renyi_kd.experiment import ModelConfig
from renyi_kd.metrics import classification_metrics
from renyi_kd.files import digest
from renyi_kd.models.factory import load_training_state, read_training_meta, save_training_state
from renyi_kd.training.optim import Schedule, learning_rate, make_optimizer
from renyi_kd.training.runtime import Runtime
from renyi_kd.training.teacher_outputs import SoftTargets

log = logging.getLogger("renyi_kd.training.loop")

Criterion = Callable[[Tensor, Tensor | None, Tensor], Tensor]
EpochCallback = Callable[[dict[str, float]], None]


class NonFiniteLossError(FloatingPointError):
    """The loss became NaN or infinite: these hyperparameters diverged."""


@dataclass(frozen=True)
class FitSpec:
    epochs: int
    batch_size: int
    optimizer: str
    lr: float
    weight_decay: float
    momentum: float = 0.9
    nesterov: bool = False
    schedule: Schedule = Schedule()
    augment: AugmentPolicy = AugmentPolicy()
    seed: int = 0
    num_workers: int = 0

    @classmethod
    def from_config(cls, section: ModelConfig, *, seed: int, num_workers: int = 0,
                    augment: AugmentPolicy = AugmentPolicy(), **overrides: Any) -> "FitSpec":
        """From a ``teacher``/``student`` config section; tuned values (lr, weight_decay, epochs) override.
        A run of other ``epochs`` than the section's keeps the schedule's shape (see Schedule.from_config)."""
        optimizer = section.optimizer
        epochs = overrides.pop("epochs", section.epochs)
        values = {
            "epochs": epochs,
            "batch_size": section.batch_size,
            "optimizer": optimizer.name,
            "lr": optimizer.lr,
            "weight_decay": optimizer.weight_decay,
            "momentum": optimizer.momentum,
            "nesterov": optimizer.nesterov,
            "schedule": Schedule.from_config(section.schedule, epochs=epochs, reference_epochs=section.epochs),
            "augment": augment,
            "seed": seed,
            "num_workers": num_workers,
        }
        return cls(**{**values, **overrides})


def training_seconds(history: list[dict[str, float]]) -> float:
    """Wall time of all epochs (training and validation), summed over resumed runs too."""
    return sum(record["seconds"] for record in history)


@torch.no_grad()
def predict(
    model: nn.Module, source: BatchSource, indices: Sequence[int], *, batch_size: int, runtime: Runtime,
    augment: AugmentPolicy | None = None, view: int | None = None,
) -> tuple[Tensor, Tensor]:
    """Logits (float32, on the CPU) and targets of items ``indices``, in their order: un-augmented, or fixed
    view ``view`` of ``augment`` (the teacher-logit export of the views students see)."""
    model.eval()
    outputs, targets = [], []
    for x, y, _ in source.batches(indices, batch_size=batch_size, shuffle=False, seed=0, augment=augment, view=view):
        with runtime.autocast():
            outputs.append(model(runtime.prepare_batch(x)).float().cpu())
        targets.append(y.cpu())
    return torch.cat(outputs), torch.cat(targets)


def _train_epoch(
    model: nn.Module,
    batches: Iterable[tuple[Tensor, Tensor, Tensor]],
    criterion: Criterion,
    optimizer: torch.optim.Optimizer,
    scaler: torch.amp.GradScaler,
    runtime: Runtime,
    soft_targets: SoftTargets | None,
    seed: int,
    epoch: int,
) -> float:
    """One pass over the batches; the loss is summed on the device (no host sync per step) and checked once."""
    model.train()
    total, count = torch.zeros((), device=runtime.device), 0
    for x, y, idx in batches:
        x = runtime.prepare_batch(x)
        teacher_logits = soft_targets(x, idx, seed, epoch) if soft_targets is not None else None
        with runtime.autocast():
            logits = model(x)
        loss = criterion(logits.float(), teacher_logits, y.to(runtime.device, non_blocking=True))
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        total += loss.detach() * len(y)
        count += len(y)
    mean = (total / count).item()
    if not math.isfinite(mean):
        raise NonFiniteLossError(f"loss is {mean} in epoch {epoch + 1}")
    return mean


def fit(
    model: nn.Module,
    source: BatchSource,
    train_indices: Sequence[int],
    val_indices: Sequence[int],
    criterion: Criterion,
    *,
    spec: FitSpec,
    runtime: Runtime,
    soft_targets: SoftTargets | None = None,
    state_path: Path | None = None,
    state_key: str = "",
    on_epoch: EpochCallback | None = None,
    description: str = "train",
    validate_at: Collection[int] | None = None,
) -> list[dict[str, float]]:
    """Train ``model`` (created after seeding) for ``spec.epochs``; return one record per epoch.

    Records hold ``epoch, lr, train_loss, val_acc, val_nll, val_ece, seconds``. No test data is read here.
    ``validate_at``: the epochs (1-based) after which val is measured (default: every one); the last epoch always
    is, and the other records then lack the ``val_*`` keys. Validation changes no weight and draws no random
    number, so skipping it changes nothing else.
    A checkpoint at ``state_path`` is resumed only if it was made with the same ``spec`` and ``state_key``
    (the caller's digest of the loss, data and teacher); one made with other settings is discarded.
    """
    model = runtime.prepare_model(model)
    optimizer = make_optimizer(model.parameters(), spec.optimizer, lr=spec.lr, weight_decay=spec.weight_decay,
                               momentum=spec.momentum, nesterov=spec.nesterov)
    scaler = torch.amp.GradScaler("cuda", enabled=runtime.needs_grad_scaler)
    key = digest(asdict(spec), state_key)
    history: list[dict[str, float]] = []
    if state_path is not None and state_path.exists():
        if read_training_meta(state_path).get("key") == key:
            history = load_training_state(state_path, model, optimizer)["history"]
            log.info("%s: resuming after epoch %d from %s", description, len(history), state_path)
        else:
            log.warning("%s: %s was made with other settings; starting afresh", description, state_path)

    epochs = range(len(history), spec.epochs)
    bar = tqdm(epochs, desc=description, disable=not runtime.progress_bar, leave=False)
    for epoch in bar:
        start = time.perf_counter()
        lr = learning_rate(spec.schedule, spec.lr, epoch, spec.epochs)
        for group in optimizer.param_groups:
            group["lr"] = lr
        augment = spec.augment if spec.augment.name != "none" else None
        batches = source.batches(train_indices, batch_size=spec.batch_size, shuffle=True, seed=spec.seed, epoch=epoch,
                                 augment=augment)
        train_loss = _train_epoch(model, batches, criterion, optimizer, scaler, runtime, soft_targets, spec.seed, epoch)
        validated = validate_at is None or epoch + 1 in validate_at or epoch + 1 == spec.epochs
        val = {}
        if validated:
            val_logits, val_targets = predict(model, source, val_indices, batch_size=spec.batch_size, runtime=runtime)
            val = classification_metrics(val_logits, val_targets)
        record = {
            "epoch": epoch + 1,
            "lr": lr,
            "train_loss": train_loss,
            **{f"val_{k}": v for k, v in val.items()},
            "seconds": time.perf_counter() - start,
        }
        history.append(record)
        shown = f" val_acc {val['acc']:.4f}" if val else ""
        if runtime.progress_bar:
            bar.set_postfix_str(f"loss {train_loss:.3f}{shown}")
        else:
            log.info("%s epoch %d/%d loss %.4f%s", description, epoch + 1, spec.epochs, train_loss, shown)
        if on_epoch is not None:
            on_epoch(record)
        if state_path is not None:
            save_training_state(state_path, model, optimizer, {"history": history, "key": key})
    return history
