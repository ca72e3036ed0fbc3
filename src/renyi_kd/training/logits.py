"""Teacher logits cached once per experiment, so students never run the teacher.

The file holds, for every split, the dataset indices and the teacher's logits in that order, plus the
fingerprints of the data and of the teacher weights it came from; loading checks both. Without data
augmentation the cache is exact: a student sees the very inputs the teacher saw. With
``distillation.teacher_outputs: views`` it also holds ``train.views`` (``[K, n_train, classes]``): the logits
of K fixed augmented views of every training image, and the augmentation that made them in its header.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file
from torch import Tensor

from renyi_kd.files import atomic_output

SPLITS = ("train", "val", "test")
_META_KEY = "renyi_kd.logits"


class StaleCacheError(ValueError):
    """A cached artifact was made from other data or another teacher than the ones at hand."""


def save_logits(
    path: str | Path,
    logits: dict[str, tuple[Tensor, Tensor]],
    *,
    data_fingerprint: str,
    teacher_sha256: str,
    train_views: Tensor | None = None,
    views: dict | None = None,
) -> None:
    """``logits[split] = (indices, logits)``; ``train_views[v]`` the logits of view v of the train split's
    images (in its order), ``views`` the augmentation that made them. Fingerprints go into the file header."""
    tensors = {}
    for split, (indices, values) in logits.items():
        tensors[f"{split}.indices"] = torch.as_tensor(indices, dtype=torch.int64)
        tensors[f"{split}.logits"] = values.float().contiguous()
    if train_views is not None:
        tensors["train.views"] = train_views.float().contiguous()
    meta = {"data_fingerprint": data_fingerprint, "teacher_sha256": teacher_sha256, "views": views}
    with atomic_output(path) as tmp:
        save_file(tensors, str(tmp), metadata={_META_KEY: json.dumps(meta)})


class TeacherLogits:
    """Validated cached logits with lookup by dataset index (the ``idx`` that loaders yield)."""

    def __init__(
        self,
        path: str | Path,
        *,
        data_fingerprint: str,
        teacher_sha256: str | None = None,
        views: dict | None = None,
        device: torch.device | str = "cpu",
    ) -> None:
        path = Path(path)
        with safe_open(str(path), framework="pt") as handle:
            meta = json.loads((handle.metadata() or {}).get(_META_KEY, "{}"))
        expected = {"data_fingerprint": data_fingerprint, "teacher_sha256": teacher_sha256, "views": views}
        for key, value in expected.items():
            if (value is not None or key == "views") and meta.get(key) != value:
                raise StaleCacheError(
                    f"{path}: cached teacher logits were made with {key} {meta.get(key)}, but the current one is "
                    f"{value}. Delete the file (or rerun export_logits) to rebuild it."
                )
        tensors = load_file(str(path))
        self.meta = meta
        self.splits = {s: (tensors[f"{s}.indices"], tensors[f"{s}.logits"]) for s in SPLITS if f"{s}.indices" in tensors}
        indices = torch.cat([i for i, _ in self.splits.values()])
        self._logits = torch.cat([v for _, v in self.splits.values()]).to(device)
        self._row = torch.full((int(indices.max()) + 1,), -1, dtype=torch.int64)
        self._row[indices] = torch.arange(len(indices))
        self._views = tensors["train.views"].to(device) if "train.views" in tensors else None
        train = self.splits["train"][0] if "train" in self.splits else torch.zeros(0, dtype=torch.int64)
        self._view_row = torch.full_like(self._row, -1)
        self._view_row[train] = torch.arange(len(train))
        self._row, self._view_row = self._row.to(device), self._view_row.to(device)

    def check_covers(self, indices: list[int], *, views: bool = False) -> None:
        """Raise KeyError unless every index has cached logits (of every view): checked once per job, so the
        lookups in the training loop need no per-batch check (and no device-to-host sync)."""
        rows = (self._view_row if views else self._row).cpu()
        index = torch.as_tensor(indices, dtype=torch.int64)
        missing = index[(index >= len(rows)) | (rows[index.clamp(max=len(rows) - 1)] < 0)]
        if views and self._views is None:
            raise KeyError("the cached teacher logits hold no augmented views; rerun export_logits")
        if len(missing):
            raise KeyError(f"no cached teacher logits for dataset indices {missing[:5].tolist()}")

    def __call__(self, indices: Tensor) -> Tensor:
        """Teacher logits of the given dataset indices (see :meth:`check_covers`), on the cache's device."""
        return self._logits[self._row[indices.to(self._row.device)]]

    def of_views(self, indices: Tensor, views: Tensor) -> Tensor:
        """Teacher logits of view ``views[k]`` of training image ``indices[k]``."""
        device = self._view_row.device
        return self._views[views.to(device), self._view_row[indices.to(device)]]

    def split(self, name: str) -> tuple[Tensor, Tensor]:
        return self.splits[name]
