"""The train_teacher and export_logits stages, once per teacher (``teacher.seeds``: each teacher is named by
its training seed and has its own files, :meth:`renyi_kd.layout.Layout.teacher`).

The teacher trains on the train split with the experiment's augmentation (``data.augmentation``); the export
writes its logits of every split un-augmented and, with ``distillation.teacher_outputs: views``, of K fixed
augmented views of every training image (the views the students will see).
"""

from __future__ import annotations

import logging
from pathlib import Path
import pandas as pd
import torch

from renyi_kd.data.augment import AugmentPolicy
from renyi_kd.data.device_batches import batch_source
from renyi_kd.experiment import Experiment, TeacherConfig
from renyi_kd.files import digest, read_json, write_json
from renyi_kd.layout import Layout
from renyi_kd.training.logits import SPLITS, save_logits
from renyi_kd.losses import DistillationLoss
from renyi_kd.metrics import evaluate
from renyi_kd.models.factory import count_parameters, file_sha256, load_weights, model_for, save_weights
from renyi_kd.data.prepare import Prepared, open_prepared
from renyi_kd.training.runtime import Runtime, seed_everything
from renyi_kd.training.teacher_outputs import student_augmentation, views_record
from renyi_kd.tracking.mlflow_runs import job_run, log_data, log_epoch
from renyi_kd.training.loop import FitSpec, fit, predict, training_seconds

log = logging.getLogger("renyi_kd.training.teacher")


def load_teacher(experiment: Experiment, layout: Layout, prepared: Prepared, runtime: Runtime, teacher: int):
    """The teacher of seed ``teacher`` on the runtime's device, checked against the weights its metrics recorded."""
    files = layout.teacher(teacher)
    weights = files.weights
    sha = read_json(files.metrics)["weights_sha256"]
    if sha != file_sha256(weights):
        raise ValueError(f"{weights} does not match {files.metrics}; rerun train_teacher")
    model = model_for(experiment.teacher, prepared.data, from_file=False)
    load_weights(model, weights)
    return runtime.prepare_model(model), sha


def _training(section: TeacherConfig) -> dict:
    """What one teacher's training depends on: its section without the other teachers' seeds."""
    return {key: value for key, value in section.as_dict().items() if key != "seeds"}


def train_teacher(experiment: Experiment, layout: Layout, runtime: Runtime, tracking_uri: str, teacher: int) -> Path:
    """Train the teacher of seed ``teacher`` on the train split (val for monitoring), resuming from its checkpoint
    if present."""
    section, data = experiment.teacher, experiment.data
    prepared = open_prepared(data, layout)
    out = layout.teacher(teacher)
    spec = FitSpec.from_config(section, seed=teacher, num_workers=data.num_workers,
                               augment=AugmentPolicy(data.augmentation))
    seed_everything(spec.seed)
    model = model_for(section, prepared.data)
    source = batch_source(prepared.data, runtime.device, num_workers=spec.num_workers)
    params = {"model": section.model, "dataset": data.name, "seed": spec.seed, "epochs": spec.epochs,
              "optimizer": spec.optimizer, "lr": spec.lr, "weight_decay": spec.weight_decay, "batch_size": spec.batch_size}
    tags = {"role": "teacher", "teacher": str(teacher)}
    with job_run(tracking_uri, experiment.name, f"teacher/seed{teacher}", params=params, tags=tags):
        log_data(prepared, ("train", "val", "test"), data.root)  # the UI's Dataset column
        history = fit(
            model, source, prepared.splits["train"], prepared.splits["val"], DistillationLoss(beta=0.0, temperature=1.0),
            spec=spec, runtime=runtime, state_path=out.checkpoint,
            state_key=digest(_training(section), teacher, prepared.fingerprint), on_epoch=log_epoch,
            description=f"teacher seed {teacher}",
        )
        test_logits, test_targets = predict(model, source, prepared.splits["test"], batch_size=spec.batch_size,
                                            runtime=runtime)
        weights = out.weights
        save_weights(model, weights, {"model": section.model, "data_fingerprint": prepared.fingerprint})
        test = evaluate(test_logits, test_targets)
        metrics = {
            "model": section.model,
            "seed": teacher,
            "params": count_parameters(model),
            **test,
            "val_acc": history[-1]["val_acc"],
            "epochs": spec.epochs,
            "wall_time_s": training_seconds(history),
            "hardware": runtime.hardware,
            "weights_sha256": file_sha256(weights),
            "data_fingerprint": prepared.fingerprint,
        }
        pd.DataFrame(history).to_csv(out.history, index=False)
        write_json(out.metrics, metrics)
        import mlflow

        mlflow.log_metrics(test)
        mlflow.log_artifact(str(out.metrics))
    out.checkpoint.unlink(missing_ok=True)
    log.info("teacher %s seed %d: test accuracy %.4f", section.model, teacher, metrics["test_acc"])
    return weights


def export_logits(experiment: Experiment, layout: Layout, runtime: Runtime, teacher: int) -> Path:
    """The logits of the teacher of seed ``teacher`` on train, val and test (un-augmented) with their indices and
    fingerprints, and with ``teacher_outputs: views`` on every fixed view of the train split."""
    prepared = open_prepared(experiment.data, layout)
    model, sha = load_teacher(experiment, layout, prepared, runtime, teacher)
    source = batch_source(prepared.data, runtime.device, num_workers=experiment.data.num_workers)
    batch_size = experiment.teacher.batch_size
    logits = {split: (prepared.splits[split], predict(model, source, prepared.splits[split], batch_size=batch_size,
                                                     runtime=runtime)[0]) for split in SPLITS}
    policy = student_augmentation(experiment, teacher)
    train_views = None
    if policy.views is not None:
        train_views = torch.stack([
            predict(model, source, prepared.splits["train"], batch_size=batch_size, runtime=runtime, augment=policy,
                    view=view)[0]
            for view in range(policy.views)
        ])
    out = layout.teacher(teacher).logits
    save_logits(out, logits, data_fingerprint=prepared.fingerprint, teacher_sha256=sha, train_views=train_views,
                views=views_record(policy))
    return out
