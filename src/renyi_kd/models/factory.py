"""timm model factory with small-image stems, and safetensors files (weights, and training state for resuming).

Importing this module registers the project's CIFAR architectures in timm (:mod:`renyi_kd.models.cifar`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import timm
import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file
from timm.models import load_pretrained
from timm.models.resnet import ResNet
from torch import nn

from renyi_kd.models import cifar  # noqa: F401  (registers the CIFAR models with timm)
from renyi_kd.files import atomic_output

if TYPE_CHECKING:
    from renyi_kd.experiment import ModelConfig

_STATE_KEY = "renyi_kd.state"


def _resnet_small_stem(model: ResNet) -> ResNet:
    """timm ResNet family: the first convolution becomes 3x3 stride 1 (a deep stem keeps its 3x3 convolutions and
    loses its stride) and the stem pool goes, so a 32-px input keeps a 4x4 map after the last stage."""
    if isinstance(model.conv1, nn.Sequential):
        model.conv1[0].stride = (1, 1)
    else:
        model.conv1 = nn.Conv2d(model.conv1.in_channels, model.conv1.out_channels, 3, padding=1, bias=False)
        nn.init.kaiming_normal_(model.conv1.weight, mode="fan_out", nonlinearity="relu")
    model.maxpool = nn.Identity()
    for info in model.feature_info:  # both stride-2 steps of the stem are gone
        info["reduction"] = max(1, info["reduction"] // 4)
    return model


# Model class -> how its stem becomes a small-image stem (looked up along the class's MRO). The CIFAR models
# have one already.
SMALL_STEMS: dict[type, Callable[[nn.Module], nn.Module]] = {
    ResNet: _resnet_small_stem,
    cifar.CifarNet: lambda model: model,
}


def _small_stem(model: nn.Module, name: str) -> nn.Module:
    adapt = next((SMALL_STEMS[cls] for cls in type(model).__mro__ if cls in SMALL_STEMS), None)
    if adapt is None:
        raise ValueError(
            f"stem 'small' cannot adapt {name!r} (a {type(model).__name__}); it adapts timm's ResNet family "
            f"(resnet*, resnext*, seresnet*, wide_resnet*, ...) and the CIFAR models ({', '.join(timm.list_models(module='cifar'))})"
        )
    return adapt(model)


# Stem name -> how the built model is changed; None: as its builder makes it (timm then loads a weights file
# itself, with the model's own checkpoint filter).
STEMS: dict[str, Callable[[nn.Module, str], nn.Module] | None] = {"imagenet": None, "small": _small_stem}


def create_model(
    name: str,
    *,
    in_chans: int,
    num_classes: int,
    pretrained_file: str | Path | None = None,
    model_kwargs: dict[str, Any] | None = None,
    stem: str = "imagenet",
) -> nn.Module:
    """Any timm backbone by name, from scratch or from a local weights file (never downloaded).

    ``stem``: ``imagenet``, the model as timm builds it; ``small``, a 3x3 stride-1 first convolution and no stem
    pool (see :data:`STEMS`), for 32-px inputs. With a file, timm adapts the first convolution to ``in_chans``
    and drops a classifier of another ``num_classes``; a small-stem model loads the file after its stem changed,
    so the file must come from a small-stem model too.
    """
    if stem not in STEMS:
        raise ValueError(f"unknown stem {stem!r}; choose one of {', '.join(STEMS)}")
    kwargs = dict(model_kwargs or {})
    adapt = STEMS[stem]
    if adapt is None:
        if pretrained_file is not None:
            kwargs.update(pretrained=True, pretrained_cfg_overlay={"file": str(pretrained_file)})
        return timm.create_model(name, in_chans=in_chans, num_classes=num_classes, **kwargs)
    model = adapt(timm.create_model(name, in_chans=in_chans, num_classes=num_classes, **kwargs), name)
    if pretrained_file is not None:
        cfg = {**model.pretrained_cfg, "file": str(pretrained_file)}
        load_pretrained(model, pretrained_cfg=cfg, num_classes=num_classes, in_chans=in_chans)
    return model


def check_stem(name: str, stem: str) -> None:
    """Raise ``ValueError`` if :func:`create_model` cannot give model ``name`` the stem ``stem``; the model is
    built on the meta device, so checking a config costs no memory and little time."""
    with torch.device("meta"):
        create_model(name, in_chans=3, num_classes=10, stem=stem)


def model_for(section: ModelConfig, data: Any, *, from_file: bool = True) -> nn.Module:
    """The model of a ``teacher``/``student`` config section for ``data`` (its channels and classes)."""
    return create_model(
        section.model,
        in_chans=data.in_chans,
        num_classes=data.num_classes,
        pretrained_file=section.pretrained_file if from_file else None,
        model_kwargs=section.model_kwargs,
        stem=section.stem,
    )


def count_parameters(model: nn.Module) -> int:
    """Number of parameters (trainable or not; buffers are not parameters)."""
    return sum(p.numel() for p in model.parameters())


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _atomic_save(tensors: dict[str, torch.Tensor], path: Path, metadata: dict[str, str]) -> None:
    with atomic_output(path) as tmp:
        save_file({k: v.detach().contiguous().cpu() for k, v in tensors.items()}, str(tmp), metadata=metadata)


def save_weights(model: nn.Module, path: str | Path, metadata: dict[str, Any] | None = None) -> None:
    """Model weights as safetensors; ``metadata`` (JSON-able) is stored in the file header."""
    _atomic_save(dict(model.state_dict()), Path(path), {_STATE_KEY: json.dumps(metadata or {})})


def load_weights(model: nn.Module, path: str | Path) -> dict[str, Any]:
    """Load weights saved by :func:`save_weights` into ``model``; return their metadata."""
    model.load_state_dict(load_file(str(path)))
    return _header(path)


def save_training_state(
    path: str | Path, model: nn.Module, optimizer: torch.optim.Optimizer, meta: dict[str, Any]
) -> None:
    """Model, optimizer and RNG state in one safetensors file, so a killed job resumes exactly."""
    tensors = {f"model.{k}": v for k, v in model.state_dict().items()}
    optim = optimizer.state_dict()
    scalars: dict[str, dict[str, Any]] = {}
    for index, state in optim["state"].items():
        for key, value in state.items():
            if isinstance(value, torch.Tensor):
                tensors[f"optim.{index}.{key}"] = value
            else:
                scalars.setdefault(str(index), {})[key] = value
    tensors["rng.torch"] = torch.get_rng_state()
    if torch.cuda.is_available():
        tensors["rng.cuda"] = torch.cuda.get_rng_state()
    header = {"meta": meta, "param_groups": optim["param_groups"], "optim_scalars": scalars}
    _atomic_save(tensors, Path(path), {_STATE_KEY: json.dumps(header)})


def _header(path: str | Path) -> dict[str, Any]:
    with safe_open(str(path), framework="pt") as handle:
        return json.loads((handle.metadata() or {}).get(_STATE_KEY, "{}"))


def read_training_meta(path: str | Path) -> dict[str, Any]:
    """The ``meta`` of a training state file, without loading its tensors."""
    return _header(path).get("meta", {})


def load_training_state(path: str | Path, model: nn.Module, optimizer: torch.optim.Optimizer) -> dict[str, Any]:
    """Restore what :func:`save_training_state` wrote; return its ``meta``."""
    tensors = load_file(str(path))
    header = _header(path)
    model.load_state_dict({k[len("model.") :]: v for k, v in tensors.items() if k.startswith("model.")})
    state: dict[int, dict[str, Any]] = {}
    for key, value in tensors.items():
        if key.startswith("optim."):
            _, index, name = key.split(".", 2)
            state.setdefault(int(index), {})[name] = value
    for index, values in header["optim_scalars"].items():
        state.setdefault(int(index), {}).update(values)
    optimizer.load_state_dict({"state": state, "param_groups": header["param_groups"]})
    torch.set_rng_state(tensors["rng.torch"])
    if "rng.cuda" in tensors and torch.cuda.is_available():
        torch.cuda.set_rng_state(tensors["rng.cuda"])
    return header["meta"]
