"""GPU check of the CIFAR-100 recipe (`make gpu-check`): a few epochs on a synthetic CIFAR-100 archive.

Usage: python bench/gpu_check.py [--epochs 3] [--train-per-class 500] [--teacher resnet32x4] [--student resnet8x4]
       [--stem small|imagenet] [--device cuda|cpu]

On a CUDA machine it trains the recipe's teacher (SGD, crop + flip, batch 64) for a few epochs, then distils its
student with the teacher online (CE 0.1 + KD 0.9, T = 4) through the package's training loop, once per precision
path: AMP with channels_last (what runtime.device: cuda uses), AMP alone and float32. Each path must train
(finite loss, validation accuracy well above chance: the synthetic classes are learnable) and its seconds per
epoch are printed against a bare PyTorch loop on the same data, with the package's deterministic settings and
without them. With the recipe's 45,000 training images an epoch is a recipe epoch, so the budgets of
configs/cifar100.yaml and configs/cifar100-reproduction.yaml are printed in GPU-hours.
Without CUDA it says so and exits 0; `--device cpu` runs the same steps on the CPU (small sizes for a test).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
import yaml

from bench_data import bare_loop, timed_epoch
from renyi_kd.data.augment import AugmentPolicy
from renyi_kd.config import validate_config
from renyi_kd.experiment import Experiment
from renyi_kd.data import ImageData, load_dataset, make_splits
from renyi_kd.data.device_batches import BatchSource, batch_source
from renyi_kd.losses import DistillationLoss
from renyi_kd.models.factory import create_model
from renyi_kd.training.optim import Schedule
from renyi_kd.training.runtime import Runtime, seed_everything
from renyi_kd.data.synthetic import write_synthetic_cifar100
from renyi_kd.training.teacher_outputs import online
from renyi_kd.training.loop import FitSpec, fit

ROOT = Path(__file__).resolve().parents[1]
RECIPE_CONFIGS = ("configs/cifar100.yaml", "configs/cifar100-reproduction.yaml")
BETA, T, SEED = 0.9, 4.0, 0
# Validation accuracy a path must reach (chance is 1/100): the synthetic classes are learnable in an epoch or two.
MIN_VAL_ACC = 0.05


@dataclass(frozen=True)
class Precision:
    """A precision path: AMP (bfloat16 where supported) and the channels_last memory format."""

    name: str
    amp: bool
    channels_last: bool


PRECISIONS = (Precision("AMP + channels_last", True, True), Precision("AMP", True, False),
              Precision("float32", False, False))


def recipe_epochs(experiment: Experiment) -> tuple[int, int]:
    """(student epochs, teacher epochs) a config trains at most: every study's trials unpruned, every final run."""
    tuning, epochs = experiment.tuning, experiment.student.epochs
    studies = len(experiment.methods) * tuning.repeats
    trials = studies * tuning.n_trials * (tuning.epochs or epochs) if tuning.enabled else 0
    return trials + studies * len(experiment.seeds) * epochs, experiment.teacher.epochs


def spec(epochs: int) -> FitSpec:
    """The recipe's optimiser and augmentation; the multistep milestones fall after these few epochs."""
    return FitSpec(epochs=epochs, batch_size=64, optimizer="sgd", lr=0.05, weight_decay=5e-4, momentum=0.9,
                   schedule=Schedule("multistep", 0, (150, 180, 210)), augment=AugmentPolicy("cifar"), seed=SEED)


def epoch_seconds(history: list[dict[str, float]]) -> float:
    """Median seconds of the epochs after the first (which pays for kernel selection and allocator warm-up)."""
    return statistics.median(record["seconds"] for record in history[1:] or history)


def check_trained(label: str, history: list[dict[str, float]]) -> None:
    """Validation accuracy well above chance (fit itself stops on a loss that is not finite)."""
    if history[-1]["val_acc"] < MIN_VAL_ACC:
        sys.exit(f"FAIL: {label}: validation accuracy {history[-1]['val_acc']:.3f}, needs {MIN_VAL_ACC}")


@dataclass(frozen=True)
class Check:
    """What every step trains on: the data on the device, its splits, the models' names and the epochs."""

    source: BatchSource
    train: list[int]
    val: list[int]
    args: argparse.Namespace

    def model(self, name: str, state: dict | None = None) -> torch.nn.Module:
        """A fresh model, or a copy of a trained one (``state``) for another precision path to prepare."""
        model = create_model(name, in_chans=3, num_classes=100, stem=self.args.stem)
        if state is not None:
            model.load_state_dict(state)
        return model

    def fit(self, model: torch.nn.Module, runtime: Runtime, label: str, **kwargs) -> float:
        """Seconds per epoch of ``model`` trained through the package's loop, which must learn."""
        history = fit(model, self.source, self.train, self.val, spec=spec(self.args.epochs), runtime=runtime,
                      description=label, **kwargs)
        check_trained(label, history)
        seconds = epoch_seconds(history)
        print(f"{label:<37}{seconds:7.2f} s/epoch  val_acc {history[-1]['val_acc']:.3f}  (training and validation)")
        return seconds


def bare_epoch_seconds(batches: Iterable, student: torch.nn.Module, teacher: torch.nn.Module, runtime: Runtime,
                       images: int) -> float:
    """One epoch of the loop a PyTorch user writes: teacher forward, student step with Hinton's KD loss."""
    optimizer = torch.optim.SGD(student.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    scaler = torch.amp.GradScaler("cuda", enabled=runtime.needs_grad_scaler)
    student.train()

    def step(x: torch.Tensor, y: torch.Tensor) -> None:
        x = runtime.prepare_batch(x)
        with torch.no_grad(), runtime.autocast():
            log_p = F.log_softmax(teacher(x).float() / T, dim=1)
        with runtime.autocast():
            z = student(x).float()
        soft = F.kl_div(F.log_softmax(z / T, dim=1), log_p, log_target=True, reduction="batchmean") * T**2
        loss = (1 - BETA) * F.cross_entropy(z, y) + BETA * soft
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()

    return images / timed_epoch(batches, step, runtime.device)


def bare_seconds(check: Check, data: ImageData, teacher_state: dict, runtime: Runtime, deterministic: bool) -> float:
    """Seconds per training epoch of the bare loop, with the package's deterministic settings or cuDNN's autotuner."""
    torch.backends.cudnn.benchmark = not deterministic
    torch.use_deterministic_algorithms(deterministic, warn_only=True)
    teacher = runtime.prepare_model(check.model(check.args.teacher, teacher_state)).eval()
    student = runtime.prepare_model(check.model(check.args.student))
    batches = bare_loop(data, 64, runtime.device)
    timings = [bare_epoch_seconds(batches(check.train, epoch), student, teacher, runtime, len(check.train))
               for epoch in range(check.args.epochs)]
    seconds = statistics.median(timings[1:] or timings)
    label = f"student, bare loop, {'deterministic' if deterministic else 'cudnn.benchmark'}"
    print(f"{label:<37}{seconds:7.2f} s/epoch  (training only)")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3, help="epochs per path (the first is not timed)")
    parser.add_argument("--train-per-class", type=int, default=500, help="500: the 50,000 images of CIFAR-100")
    parser.add_argument("--teacher", default="resnet32x4")
    parser.add_argument("--student", default="resnet8x4")
    parser.add_argument("--stem", choices=["small", "imagenet"], default="small",
                        help="of timm models (the CIFAR models have their own)")
    parser.add_argument("--device", choices=["cuda", "cpu"], default="cuda")
    args = parser.parse_args()
    if args.device == "cuda" and not torch.cuda.is_available():
        print(f"gpu-check: no CUDA device here (torch {torch.__version__}, CUDA build {torch.version.cuda}); "
              "nothing to check. Run it on a GPU node.")
        return
    device = torch.device(args.device)
    if device.type == "cuda":
        print(f"{torch.cuda.get_device_name(device)}, torch {torch.__version__}, CUDA {torch.version.cuda}, "
              f"bfloat16 {'yes' if torch.cuda.is_bf16_supported() else 'no (float16 with a gradient scaler)'}")

    with tempfile.TemporaryDirectory() as tmp:
        write_synthetic_cifar100(tmp, train_per_class=args.train_per_class, test_per_class=2, seed=SEED)
        data = load_dataset("cifar100", root=tmp)
        budgets = {name: recipe_epochs(recipe_config(name, tmp)) for name in RECIPE_CONFIGS}
    splits = make_splits(data.targets, val_fraction=0.1, test_fraction=0.25, transfer_size=None, seed=0,
                         official_test=data.official_test)
    check = Check(batch_source(data, device), splits["train"], splits["val"], args)
    precisions = PRECISIONS if device.type == "cuda" else PRECISIONS[-1:]  # AMP and channels_last need CUDA
    runtimes = {p: Runtime(device, p.amp, p.channels_last, progress_bar=False) for p in precisions}
    fastest = runtimes[precisions[0]]
    print(f"{len(check.train)} training images, {args.epochs} epochs per path, batch 64; teacher {args.teacher}, "
          f"student {args.student}")

    seed_everything(SEED)
    teacher = check.model(args.teacher)
    teacher_seconds = check.fit(teacher, fastest, f"teacher, {precisions[0].name}",
                                criterion=DistillationLoss(beta=0.0, temperature=1.0))
    teacher_state = {k: v.cpu() for k, v in teacher.state_dict().items()}  # each path builds its own copy
    criterion = DistillationLoss(beta=BETA, temperature=T, divergence="renyi", alpha=1.0, scaling="hinton")
    seconds = {}
    for precision, runtime in runtimes.items():
        seed_everything(SEED)
        student, copy = check.model(args.student), check.model(args.teacher, teacher_state)
        seconds[precision] = check.fit(student, runtime, f"student, {precision.name}", criterion=criterion,
                                       soft_targets=online(copy, runtime))
    # The package's settings (seed_everything), then, on a GPU, cuDNN's autotuner without determinism.
    bare = {deterministic: bare_seconds(check, data, teacher_state, fastest, deterministic)
            for deterministic in ((True, False) if device.type == "cuda" else (True,))}
    ratio = bare[True] / seconds[precisions[0]]

    scale = 45000 / len(check.train)  # an epoch of the recipe's 45,000 training images
    for name, (students, teachers) in budgets.items():
        hours = (students * seconds[precisions[0]] + teachers * teacher_seconds) * scale / 3600
        print(f"{name}: at most {students:,} student and {teachers} teacher epochs: {hours:,.0f} GPU-hours here")
    print(f"gpu-check passed: the package loop runs at {ratio:.2f} of the bare loop's speed (goal >= 0.90)")


def recipe_config(name: str, data_root: str) -> Experiment:
    """A recipe config, validated with ``data.root`` at the synthetic archive (the real one need not be here)."""
    config = yaml.safe_load((ROOT / name).read_text())
    config["data"]["root"] = data_root
    return Experiment.from_config(validate_config(config))


if __name__ == "__main__":
    main()
