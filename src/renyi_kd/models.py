"""timm model factory and safetensors files (weights, and training state for resuming)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import timm
import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file
from torch import nn

from renyi_kd.files import atomic_output

_STATE_KEY = "renyi_kd.state"


def create_model(
    name: str,
    *,
    in_chans: int,
    num_classes: int,
    pretrained_file: str | Path | None = None,
    model_kwargs: dict[str, Any] | None = None,
) -> nn.Module:
    """Any timm backbone by name, from scratch or from a local weights file (never downloaded).

    With a file, timm adapts the stem to ``in_chans`` and drops a classifier of another ``num_classes``.
    """
    kwargs = dict(model_kwargs or {})
    if pretrained_file is not None:
        kwargs.update(pretrained=True, pretrained_cfg_overlay={"file": str(pretrained_file)})
    return timm.create_model(name, in_chans=in_chans, num_classes=num_classes, **kwargs)


def count_parameters(model: nn.Module) -> int:
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
