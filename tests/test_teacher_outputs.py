"""Teacher outputs with augmentation (distillation.teacher_outputs) on the CIFAR-100 smoke recipe: the exported
logits of a fixed view equal the online teacher's logits on that very view, and students train on both."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch
import yaml

from renyi_kd.training import teacher_outputs
from renyi_kd.data.augment import AugmentPolicy
from renyi_kd.config import validate_config
from renyi_kd.experiment import Experiment
from renyi_kd.layout import Layout
from renyi_kd.data.device_batches import batch_source
from renyi_kd.files import write_json
from renyi_kd.training.logits import StaleCacheError, TeacherLogits
from renyi_kd.losses import DistillationLoss
from renyi_kd.models.factory import file_sha256, model_for, save_weights
from renyi_kd.data.prepare import open_prepared, prepare_data
from renyi_kd.training.runtime import Runtime, seed_everything
from renyi_kd.training.student import Hyperparameters, StudentSetup
from renyi_kd.data.synthetic import write_synthetic_cifar100
from renyi_kd.training.teacher import export_logits, load_teacher
from renyi_kd.training.teacher_outputs import student_augmentation, views_record
from renyi_kd.training.loop import FitSpec, fit

ROOT = Path(__file__).resolve().parents[1]
VIEWS = 3
DEVICES = ["cpu", pytest.param("gpu", marks=pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA"))]


def recipe(data_root: Path, **distillation) -> Experiment:
    """configs/cifar100-smoke.yaml on the archive at ``data_root``, with other teacher outputs."""
    config = yaml.safe_load((ROOT / "configs" / "cifar100-smoke.yaml").read_text())
    config["data"]["root"] = str(data_root)
    config["distillation"].update(distillation)
    return Experiment.from_config(validate_config(config))


@pytest.fixture(scope="module", params=DEVICES)
def experiment(request: pytest.FixtureRequest,
               tmp_path_factory: pytest.TempPathFactory) -> tuple[Experiment, Layout, Runtime]:
    """Splits, a teacher trained for one augmented epoch and its exported logits (with VIEWS views per image).

    On the GPU in float32 (no AMP): bfloat16 would round the logits of one view differently in another batch.
    """
    runtime = Runtime(torch.device("cuda" if request.param == "gpu" else "cpu"), False, False, False)
    root = tmp_path_factory.mktemp(f"teacher_outputs_{request.param}")
    write_synthetic_cifar100(root / "data")
    config = recipe(root / "data", teacher_outputs="views", views=VIEWS)
    layout = Layout.of(config.name, root / "results")
    prepare_data(config.data, layout)
    prepared = open_prepared(config.data, layout)
    seed_everything(0)
    teacher = model_for(config.teacher, prepared.data)
    spec = FitSpec.from_config(config.teacher, seed=0, augment=AugmentPolicy("cifar"), epochs=1)
    fit(teacher, batch_source(prepared.data, runtime.device), prepared.splits["train"], prepared.splits["val"],
        DistillationLoss(beta=0.0, temperature=1.0), spec=spec, runtime=runtime)
    weights = layout.teacher(0).weights
    save_weights(teacher, weights)
    write_json(layout.teacher(0).metrics, {"weights_sha256": file_sha256(weights)})
    export_logits(config, layout, runtime, 0)
    return config, layout, runtime


def test_a_views_logits_equal_the_online_teachers_on_that_view(experiment) -> None:
    config, layout, runtime = experiment
    setup = StudentSetup.open(config, layout, runtime, 0)
    live = teacher_outputs.online(load_teacher(config, layout, setup.prepared, runtime, 0)[0], runtime)
    tolerance = {"rtol": 1e-4, "atol": 1e-4} if runtime.device.type == "cuda" else {}  # TF32 convolutions there
    shown = set()
    for seed, epoch in ((0, 0), (1, 5)):
        batches = setup.source.batches(setup.prepared.splits["transfer"], batch_size=64, shuffle=True, seed=seed,
                                       epoch=epoch, augment=setup.augment)
        for x, _, idx in batches:  # the student's own batches: shuffled, augmented with the view it sees
            views = setup.augment.views_of(idx, seed=seed, epoch=epoch)
            online = live(x, idx, seed, epoch)
            torch.testing.assert_close(setup.soft_targets(x, idx, seed, epoch), online, **tolerance)
            other = setup.teacher.of_views(idx, (views + 1) % VIEWS)  # another view of the same images
            assert (other - online).abs().amax(dim=1).gt(1e-3).float().mean() > 0.9
            shown |= set(zip(idx.tolist(), views.tolist()))
    assert len(shown) > 1.5 * len(setup.prepared.splits["transfer"])  # two epochs show more than one view per image


def test_every_view_of_every_training_image_is_exported(experiment) -> None:
    config, layout, runtime = experiment
    prepared = open_prepared(config.data, layout)
    path = layout.teacher(0).logits
    policy = student_augmentation(config, 0)
    cached = TeacherLogits(path, data_fingerprint=prepared.fingerprint, views=views_record(policy))
    train = torch.as_tensor(prepared.splits["train"])
    plain = cached(train)
    for view in range(VIEWS):
        of_view = cached.of_views(train, torch.full_like(train, view))
        assert of_view.shape == (len(train), 100)
        assert (of_view - plain).abs().amax(dim=1).gt(1e-3).float().mean() > 0.9  # augmented, not the plain image
    other = views_record(AugmentPolicy(policy.name, views=VIEWS + 1, view_seed=policy.view_seed))
    with pytest.raises(StaleCacheError, match="views"):
        TeacherLogits(path, data_fingerprint=prepared.fingerprint, views=other)


@pytest.mark.parametrize("outputs", ["views", "online"])
def test_a_student_trains_on_augmented_teacher_outputs(experiment, outputs: str, tmp_path: Path) -> None:
    config, layout, runtime = experiment
    if outputs == "online":  # its export holds no views (export_logits reruns when teacher_outputs changes)
        config = recipe(Path(config.data.root), teacher_outputs="online")
        layout = Layout(shutil.copytree(layout.root, tmp_path / layout.root.name))
        export_logits(config, layout, runtime, 0)
    setup = StudentSetup.open(config, layout, runtime, 0)
    method = config.methods["kl"]
    _, history = setup.train(method, Hyperparameters.defaults(config.student, method), seed=0, epochs=2)
    assert [record["epoch"] for record in history] == [1, 2]
    assert history[-1]["train_loss"] < history[0]["train_loss"]
