"""The training loop: deterministic, resumable after a kill, methods as data, teacher logits validated."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from renyi_kd.training import teacher_outputs
from renyi_kd.data import load_dataset, make_splits
from renyi_kd.data.device_batches import batch_source
from renyi_kd.training.logits import StaleCacheError, TeacherLogits, save_logits
from renyi_kd.losses import DistillationLoss
from renyi_kd.models.factory import create_model, load_weights, save_weights
from renyi_kd.training.runtime import Runtime, seed_everything
from renyi_kd.training.loop import FitSpec, NonFiniteLossError, fit

RUNTIME = Runtime(device=torch.device("cpu"), amp=False, channels_last=False, progress_bar=False)
SPEC = FitSpec(epochs=3, batch_size=32, optimizer="adamw", lr=3e-3, weight_decay=5e-4, seed=7)


@pytest.fixture(scope="module")
def digits():
    data = load_dataset("digits", image_size=16)
    splits = make_splits(data.targets, val_fraction=0.2, test_fraction=0.2, transfer_size=120, seed=0)
    return data, splits


class Killed(Exception):
    """What a kill looks like from inside the loop: nothing after the raise runs."""


def kill_after_second_epoch(record: dict) -> None:
    if record["epoch"] == 2:
        raise Killed


def train(digits, state_path: Path | None = None, on_epoch=None, criterion=None, soft_targets=None):
    data, splits = digits
    seed_everything(SPEC.seed)
    model = create_model("test_resnet", in_chans=1, num_classes=10)
    history = fit(
        model, batch_source(data), splits["transfer"], splits["val"][:100],
        criterion or DistillationLoss(beta=0.0, temperature=1.0),
        spec=SPEC, runtime=RUNTIME, state_path=state_path, on_epoch=on_epoch, soft_targets=soft_targets,
    )
    return model, [{k: v for k, v in r.items() if k != "seconds"} for r in history]


def test_same_seed_gives_identical_numbers(digits) -> None:
    model_a, history_a = train(digits)
    model_b, history_b = train(digits)
    assert history_a == history_b
    for a, b in zip(model_a.state_dict().values(), model_b.state_dict().values()):
        assert torch.equal(a, b)


def test_a_killed_run_resumes_to_the_same_numbers(digits, tmp_path: Path) -> None:
    _, uninterrupted = train(digits)

    state = tmp_path / "checkpoint.safetensors"
    with pytest.raises(Killed):
        train(digits, state_path=state, on_epoch=kill_after_second_epoch)
    assert state.exists()  # epoch 1 was saved; epoch 2 is redone
    epochs_seen = []
    _, resumed = train(digits, state_path=state, on_epoch=lambda r: epochs_seen.append(r["epoch"]))
    assert epochs_seen == [2, 3]
    assert resumed == uninterrupted


def test_students_learn_from_cached_teacher_logits(digits, tmp_path: Path) -> None:
    data, splits = digits
    teacher, _ = train(digits)
    indices = splits["transfer"]
    with torch.no_grad():
        teacher.eval()
        logits = teacher(torch.stack([data[i][0] for i in indices]))
    path = tmp_path / "logits.safetensors"
    save_logits(path, {"train": (indices, logits)}, data_fingerprint="data", teacher_sha256="teacher")
    cache = TeacherLogits(path, data_fingerprint="data", teacher_sha256="teacher")
    torch.testing.assert_close(cache(torch.tensor(indices[::-1])), logits.flip(0))
    kd = DistillationLoss(alpha=0.5, beta=0.9, temperature=4.0)
    _, distilled = train(digits, criterion=kd, soft_targets=teacher_outputs.cached(cache))
    _, alone = train(digits)
    assert len(distilled) == SPEC.epochs
    assert [r["train_loss"] for r in distilled] != [r["train_loss"] for r in alone]  # the soft term took part

    with pytest.raises(StaleCacheError, match="data_fingerprint"):
        TeacherLogits(path, data_fingerprint="other data", teacher_sha256="teacher")
    with pytest.raises(StaleCacheError, match="teacher_sha256"):
        TeacherLogits(path, data_fingerprint="data", teacher_sha256="another teacher")
    with pytest.raises(KeyError, match="no cached teacher logits"):
        cache.check_covers([splits["test"][0]])
    cache.check_covers(indices)


def test_a_diverging_loss_stops_with_a_clear_error(digits) -> None:
    def nan_loss(logits, teacher_logits, targets):
        return logits.sum() * float("nan")

    with pytest.raises(NonFiniteLossError, match="nan"):
        train(digits, criterion=nan_loss)


def test_weights_round_trip(tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = create_model("test_resnet", in_chans=3, num_classes=5)
    save_weights(model, tmp_path / "w.safetensors", {"note": "x"})
    other = create_model("test_resnet", in_chans=3, num_classes=5)
    assert load_weights(other, tmp_path / "w.safetensors") == {"note": "x"}
    for a, b in zip(model.state_dict().values(), other.state_dict().values()):
        assert torch.equal(a, b)


def test_a_checkpoint_made_with_other_settings_is_not_resumed(digits, tmp_path: Path) -> None:
    state = tmp_path / "checkpoint.safetensors"
    with pytest.raises(Killed):
        train(digits, state_path=state, on_epoch=kill_after_second_epoch)
    epochs_seen = []
    kd = DistillationLoss(alpha=2.0, beta=0.5, temperature=4.0)  # another loss, e.g. after a config change
    data, splits = digits
    seed_everything(SPEC.seed)
    fit(create_model("test_resnet", in_chans=1, num_classes=10), batch_source(data), splits["transfer"], splits["val"][:100],
        DistillationLoss(beta=0.0, temperature=1.0), spec=SPEC, runtime=RUNTIME, state_path=state,
        state_key=repr(kd), on_epoch=lambda r: epochs_seen.append(r["epoch"]))
    assert epochs_seen == [1, 2, 3]  # started afresh
