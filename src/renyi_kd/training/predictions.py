"""Per-image test predictions of a final run, so the report can add the test sample's variance (no pickle).

``final/{study}/seed{k}/predictions.safetensors`` holds ``indices`` (int64 ``[n]``, dataset indices of the
test split in split order), ``targets`` (int64 ``[n]``) and ``logits`` (float32 ``[n, classes]``), with the
data fingerprint in its header. Every final run of an experiment has the same ``indices``, so predictions of
two methods pair image by image.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file
from torch import Tensor

from renyi_kd.files import atomic_output

_META_KEY = "renyi_kd.predictions"


@dataclass(frozen=True)
class Predictions:
    indices: Tensor
    targets: Tensor
    logits: Tensor
    data_fingerprint: str

    @property
    def correct(self) -> Tensor:
        """Per-image top-1 correctness, bool ``[n]``."""
        return self.logits.argmax(-1) == self.targets


def save_predictions(path: str | Path, indices: Tensor, targets: Tensor, logits: Tensor, *, data_fingerprint: str) -> None:
    indices = torch.as_tensor(indices, dtype=torch.int64).reshape(-1)
    targets = torch.as_tensor(targets, dtype=torch.int64).reshape(-1)
    if logits.ndim != 2 or not len(indices) == len(targets) == logits.shape[0]:
        raise ValueError(f"need indices [n], targets [n], logits [n, classes]; got {tuple(indices.shape)}, "
                         f"{tuple(targets.shape)}, {tuple(logits.shape)}")
    tensors = {"indices": indices, "targets": targets, "logits": logits.detach().float().cpu().contiguous()}
    with atomic_output(path) as tmp:
        save_file(tensors, str(tmp), metadata={_META_KEY: json.dumps({"data_fingerprint": data_fingerprint})})


def load_predictions(path: str | Path) -> Predictions:
    with safe_open(str(path), framework="pt") as handle:
        meta = json.loads((handle.metadata() or {}).get(_META_KEY, "{}"))
    tensors = load_file(str(path))
    return Predictions(tensors["indices"], tensors["targets"], tensors["logits"], meta.get("data_fingerprint", ""))
