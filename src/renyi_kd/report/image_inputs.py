"""Per-image metric values of every final run, from its saved test predictions and its own teacher's test logits.

Reads ``final/{study}/seed{k}/predictions.safetensors`` (:mod:`renyi_kd.training.predictions`) for each row of
``runs.csv`` and, for agreement and fidelity, the test logits of the run's teacher (its ``teacher`` seed:
``teacher/seed{t}/logits.safetensors``, :class:`renyi_kd.training.logits.TeacherLogits`, checked against the
predictions' data fingerprint). A run whose file is missing, whose test images
differ from the other runs', or whose per-image values do not reproduce its ``runs.csv`` metrics is left out
with a note: its comparisons then leave out the test sample's variance.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

import pandas as pd
import torch

from renyi_kd.layout import Layout, study_id
from renyi_kd.training.logits import StaleCacheError, TeacherLogits
from renyi_kd.training.predictions import Predictions, load_predictions
from renyi_kd.report.image_metrics import ImageValues, RunKey, image_values
from renyi_kd.report.inference import run_keys

__all__ = ["load_image_values"]

logger = logging.getLogger(__name__)

_RTOL = 1e-3  # runs.csv holds float32 (or mixed-precision) means; the per-image values are float64


def _teacher_test_logits(exp_dir: Path, teacher: int, predictions: Predictions,
                         notes: list[str]) -> torch.Tensor | None:
    """The logits of teacher ``teacher`` in the order of ``predictions.indices``, or None (noted)."""
    path = Layout(exp_dir).teacher(teacher).logits
    if not path.is_file():
        notes.append(f"No teacher logits at {path}: agreement and fidelity intervals leave out the test sample.")
        return None
    try:
        return TeacherLogits(path, data_fingerprint=predictions.data_fingerprint)(predictions.indices)
    except (StaleCacheError, KeyError) as error:
        notes.append(f"Teacher logits do not match the final runs' test images ({error}); agreement and fidelity "
                     "intervals leave out the test sample.")  # fmt: skip
        return None


def _agrees(values: ImageValues, expected: float) -> bool:
    """Equal up to float32 rounding, and closer than half an image (a fraction of images agrees to the image)."""
    value = values.value()
    return math.isclose(value, expected, rel_tol=_RTOL, abs_tol=1e-6) and abs(value - expected) < 0.5 / values.n_images


def _mismatches(values: dict[str, ImageValues], row: pd.Series) -> list[str]:
    """The metrics whose per-image values do not reproduce the run's row of runs.csv."""
    return [m for m, v in values.items() if m in row and pd.notna(row[m]) and not _agrees(v, float(row[m]))]


def load_image_values(exp_dir: Path, runs: pd.DataFrame) -> tuple[dict[RunKey, dict[str, ImageValues]], list[str]]:
    """Per run ``(method, teacher, repeat, seed)`` (:func:`renyi_kd.report.inference.run_keys`) the
    :class:`ImageValues` of every metric it has, and notes. Agreement and fidelity are measured against the run's
    own teacher."""
    notes: list[str] = []
    values: dict[RunKey, dict[str, ImageValues]] = {}
    missing, foreign, stale = [], [], []
    reference: Predictions | None = None
    teachers: dict[int, torch.Tensor | None] = {}  # test logits by teacher seed, loaded once each
    for key, row in zip(run_keys(runs), runs.itertuples(index=False)):
        method, teacher, repeat, seed = key[0], int(key[1]), int(key[2]), int(key[3])  # keys are text
        path = Layout(exp_dir).final(study_id(method, teacher, repeat), seed).predictions
        if not path.is_file():
            missing.append(key)
            continue
        predictions = load_predictions(path)
        if reference is None:
            reference = predictions
        if not torch.equal(predictions.indices, reference.indices):
            foreign.append(key)
            continue
        if teacher not in teachers:
            teachers[teacher] = _teacher_test_logits(exp_dir, teacher, predictions, notes)
        run_values = image_values(predictions.logits, predictions.targets, teachers[teacher])
        wrong = _mismatches(run_values, pd.Series(row._asdict()))
        if wrong:
            stale.append(f"{key} ({', '.join(wrong)})")
            continue
        values[key] = run_values
    if missing:
        notes.append(f"{len(missing)} of {len(runs)} final runs have no saved test predictions (e.g. {missing[0]}); "
                     "their comparisons leave out the test sample.")  # fmt: skip
    if foreign:
        notes.append(f"Runs {foreign} were tested on other images than the first run; left out of the test "
                     "sample's variance.")  # fmt: skip
    if stale:
        notes.append("Saved predictions do not reproduce runs.csv for " + "; ".join(stale) + "; left out of the "
                     "test sample's variance.")  # fmt: skip
    for note in notes:
        logger.warning("%s", note)
    return values, notes
