"""Student training for one method: shared by tuning trials and by the final multi-seed runs."""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import torch

from renyi_kd.training import teacher_outputs
from renyi_kd.data.augment import AugmentPolicy
from renyi_kd.config import Method
from renyi_kd.data.device_batches import BatchSource, batch_source
from renyi_kd.experiment import Experiment, ModelConfig
from renyi_kd.dark_knowledge import bias_shift, dark_knowledge_metrics
from renyi_kd.files import digest, read_json, write_json
from renyi_kd.layout import Layout, parse_study
from renyi_kd.labels import method_labels
from renyi_kd.training.logits import TeacherLogits
from renyi_kd.losses import DistillationLoss
from renyi_kd.metrics import evaluate
from renyi_kd.models.factory import count_parameters, model_for
from renyi_kd.training.predictions import save_predictions
from renyi_kd.data.prepare import Prepared, open_prepared
from renyi_kd.training.runtime import Runtime, seed_everything
from renyi_kd.training.teacher import load_teacher
from renyi_kd.training.teacher_outputs import SoftTargets, student_augmentation, views_record
from renyi_kd.tracking.mlflow_runs import job_run, log_data, log_epoch
from renyi_kd.training.loop import EpochCallback, FitSpec, fit, predict, training_seconds

log = logging.getLogger("renyi_kd.training.student")


@dataclass(frozen=True)
class Hyperparameters:
    """What tuning chooses. ``beta`` and ``T`` are None for the student trained alone; ``extra`` holds the
    method's own tuned parameters (a family's, e.g. ``ab_alpha``, or ``label_smoothing``)."""

    lr: float
    weight_decay: float
    beta: float | None = None
    T: float | None = None
    extra: dict[str, float] = field(default_factory=dict)

    @classmethod
    def from_params(cls, params: dict[str, float]) -> "Hyperparameters":
        """From best.json's ``params`` (or a trial's): the named fields and the method's own parameters."""
        named = {key: params[key] for key in ("lr", "weight_decay", "beta", "T") if key in params}
        return cls(**named, extra={k: v for k, v in params.items() if k not in named})

    @classmethod
    def defaults(cls, student: ModelConfig, method: Method) -> "Hyperparameters":
        optimizer = student.optimizer
        beta, temperature = (method.beta, method.T) if method.uses_teacher else (None, None)
        return cls(optimizer.lr, optimizer.weight_decay, beta, temperature)

    def as_dict(self) -> dict[str, float]:
        named = {k: v for k, v in (("lr", self.lr), ("weight_decay", self.weight_decay), ("beta", self.beta),
                                   ("T", self.T)) if v is not None}
        return {**named, **self.extra}


@dataclass
class StudentSetup:
    """Everything a student run needs that does not change between seeds or trials: the data (on the
    training device), the augmentation every student sees and the teacher outputs that match it."""

    experiment: Experiment
    prepared: Prepared
    teacher: TeacherLogits
    runtime: Runtime
    source: BatchSource
    augment: AugmentPolicy
    soft_targets: SoftTargets

    @classmethod
    def open(cls, experiment: Experiment, layout: Layout, runtime: Runtime, teacher_seed: int) -> "StudentSetup":
        """The setup of the students of teacher ``teacher_seed``'s clusters (its logits, its views)."""
        prepared = open_prepared(experiment.data, layout)
        files = layout.teacher(teacher_seed)
        teacher_sha = read_json(files.metrics)["weights_sha256"]
        augment = student_augmentation(experiment, teacher_seed)
        teacher = TeacherLogits(
            files.logits,
            data_fingerprint=prepared.fingerprint,
            teacher_sha256=teacher_sha,
            views=views_record(augment),
            device=runtime.device,
        )
        outputs = experiment.distillation.teacher_outputs
        if outputs == "online":
            model = load_teacher(experiment, layout, prepared, runtime, teacher_seed)[0]
            soft_targets = teacher_outputs.online(model, runtime)
        else:
            teacher.check_covers(prepared.splits["transfer"], views=outputs == "views")
            soft_targets = teacher_outputs.views(teacher, augment) if outputs == "views" else teacher_outputs.cached(teacher)
        source = batch_source(prepared.data, runtime.device, num_workers=experiment.data.num_workers)
        return cls(experiment, prepared, teacher, runtime, source, augment, soft_targets)

    def train(
        self,
        method: Method,
        hp: Hyperparameters,
        *,
        seed: int,
        on_epoch: EpochCallback | None = None,
        state_path: Path | None = None,
        epochs: int | None = None,
        validate_at: Collection[int] | None = None,
    ) -> tuple[Any, list[dict[str, float]]]:
        """Train a student on the transfer set with ``method``; validation on val (after the epochs
        ``validate_at`` and the last; default: every epoch). Returns (model, history)."""
        section = self.experiment.student
        overrides = {"lr": hp.lr, "weight_decay": hp.weight_decay} | ({"epochs": epochs} if epochs else {})
        spec = FitSpec.from_config(section, seed=seed, num_workers=self.experiment.data.num_workers,
                                   augment=self.augment, **overrides)
        seed_everything(seed)
        model = model_for(section, self.prepared.data)
        loss_params = method.loss_params(beta=hp.beta, T=hp.T, **hp.extra)
        history = fit(
            model, self.source, self.prepared.splits[method.transfer], self.prepared.splits["val"],
            DistillationLoss(**loss_params), spec=spec, runtime=self.runtime,
            soft_targets=self.soft_targets if method.uses_teacher else None, state_path=state_path,
            state_key=self._state_key(method, hp), on_epoch=on_epoch, description=f"{method.name} seed {seed}",
            validate_at=validate_at,
        )
        return model, history

    def _state_key(self, method: Method, hp: Hyperparameters) -> str:
        loss_params = method.loss_params(beta=hp.beta, T=hp.T, **hp.extra)
        return digest(self.experiment.student.as_dict(), loss_params, self.prepared.fingerprint, self.teacher.meta,
                      self.experiment.distillation.teacher_outputs)

    def run_key(self, method: Method, hp: Hyperparameters, seed: int) -> str:
        """What a final run's numbers depend on: the same key means the same numbers."""
        return digest(self._state_key(method, hp), hp.as_dict(), seed)[:16]


def final_runs(
    experiment: Experiment, layout: Layout, study: str, seeds: list[int], hp: Hyperparameters | None,
    runtime: Runtime, tracking_uri: str,
) -> list[Path]:
    """Retrain a study's method with its chosen hyperparameters on each of ``seeds`` (one process, one
    data load), each measured on the test split and logged as its own MLflow run. The per-epoch checkpoints
    stay until every seed is done, so a job killed half-way resumes each seed where it stopped, and a seed
    already finished only recomputes its test predictions from its last checkpoint: same numbers."""
    method_name, teacher, _ = parse_study(study)
    method = experiment.methods[method_name]
    hp = hp or Hyperparameters.defaults(experiment.student, method)
    setup = StudentSetup.open(experiment, layout, runtime, teacher)
    outputs = [_final_run(setup, layout, study, method, seed, hp, tracking_uri) for seed in seeds]
    for seed in seeds:
        layout.final(study, seed).checkpoint.unlink(missing_ok=True)
    return outputs


def _final_run(setup: StudentSetup, layout: Layout, study: str, method: Method, seed: int, hp: Hyperparameters,
               tracking_uri: str) -> Path:
    import mlflow

    experiment, runtime = setup.experiment, setup.runtime
    _, teacher, repeat = parse_study(study)
    out = layout.final(study, seed)
    out.dir.mkdir(parents=True, exist_ok=True)
    params = {"seed": seed, "teacher": teacher, "repeat": repeat, "scaling": method.scaling,
              "student": experiment.student.model, "teacher_model": experiment.teacher.model,
              "dataset": experiment.data.name, "epochs": experiment.student.epochs, **method.tags(), **hp.as_dict(),
              "key": setup.run_key(method, hp, seed)}
    tags = {"role": "final", "method": method.name, "alpha": str(method.alpha), "seed": str(seed),
            "teacher": str(teacher), "repeat": str(repeat)}
    with job_run(tracking_uri, experiment.name, f"final/{study}/seed{seed}", params=params, tags=tags):
        log_data(setup.prepared, (method.transfer, "val", "test"), experiment.data.root)  # the UI's Dataset column
        model, history = setup.train(method, hp, seed=seed, on_epoch=log_epoch, state_path=out.checkpoint)
        test_indices = setup.prepared.splits["test"]
        logits, targets = predict(model, setup.source, test_indices, batch_size=experiment.student.batch_size,
                                  runtime=runtime)
        cached_indices, teacher_logits = setup.teacher.split("test")
        if cached_indices.tolist() != list(test_indices):
            raise ValueError("cached teacher test logits are not in the order of the test split; rerun export_logits")
        scores = {**evaluate(logits, targets, teacher_logits), "val_nll": history[-1]["val_nll"],
                  **_dark_knowledge(setup, model, logits, targets)}
        metrics = {
            "experiment": experiment.name, "method": method.name, "teacher": teacher, "repeat": repeat,
            "divergence": method.divergence,
            "alpha": method.alpha, "beta": hp.beta if method.uses_teacher else 0.0, "T": hp.T, "scaling": method.scaling,
            "lr": hp.lr, "weight_decay": hp.weight_decay, "seed": seed, **scores,
            "epochs": len(history), "wall_time_s": training_seconds(history), "omit_classes": _omitted(experiment),
            "hardware": runtime.hardware,
            "student_params": count_parameters(model), "teacher_model": experiment.teacher.model,
            "student": experiment.student.model, "dataset": experiment.data.name, "standardize": method.standardize, "transfer": method.transfer,
            "label_smoothing": hp.extra.get("label_smoothing", method.label_smoothing),
            **{f"param.{name}": hp.extra.get(name, value) for name, value in method.params.items()},
            **{f"label_{style}": label for style, label in method_labels(method).items()},
        }
        save_predictions(out.predictions, torch.as_tensor(test_indices), targets, logits,
                         data_fingerprint=setup.prepared.fingerprint)
        pd.DataFrame(history).to_csv(out.history, index=False)
        write_json(out.metrics, metrics)
        mlflow.log_metrics({k: metrics[k] for k in (*scores, "wall_time_s")})
        mlflow.log_artifact(str(out.metrics))
    log.info("%s seed %d: test accuracy %.4f", study, seed, metrics["test_acc"])
    return out.metrics


def _omitted(experiment: Experiment) -> str:
    """The classes the transfer set leaves out, as runs.csv shows them ("3", "3 8"; "" for none)."""
    return " ".join(str(c) for c in experiment.data.omit_classes)


def _dark_knowledge(setup: StudentSetup, model: Any, test_logits: torch.Tensor, test_targets: torch.Tensor
                    ) -> dict[str, float]:
    """Where the transfer set omits classes: the bias shift of their logits chosen on validation, and accuracy on
    the omitted and the other test images with and without it (:mod:`renyi_kd.dark_knowledge`); else nothing."""
    omitted = setup.experiment.data.omit_classes
    if not omitted:
        return {}
    val_logits, val_targets = predict(model, setup.source, setup.prepared.splits["val"],
                                      batch_size=setup.experiment.student.batch_size, runtime=setup.runtime)
    shift = bias_shift(val_logits.numpy(), val_targets.numpy(), omitted)  # predict's outputs are on the CPU
    return dark_knowledge_metrics(test_logits.numpy(), test_targets.numpy(), omitted, shift)
