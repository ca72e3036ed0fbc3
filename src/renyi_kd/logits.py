"""Teacher logits cached once per experiment, so students never run the teacher.

The file holds, for every split, the dataset indices and the teacher's logits in that order, plus the
fingerprints of the data and of the teacher weights it came from; loading checks both.
Without data augmentation the cache is exact: a student sees the very inputs the teacher saw.
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
    path: str | Path, logits: dict[str, tuple[Tensor, Tensor]], *, data_fingerprint: str, teacher_sha256: str
) -> None:
    """``logits[split] = (indices, logits)``; both fingerprints go into the file header."""
    tensors = {}
    for split, (indices, values) in logits.items():
        tensors[f"{split}.indices"] = torch.as_tensor(indices, dtype=torch.int64)
        tensors[f"{split}.logits"] = values.float().contiguous()
    meta = {"data_fingerprint": data_fingerprint, "teacher_sha256": teacher_sha256}
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
        device: torch.device | str = "cpu",
    ) -> None:
        path = Path(path)
        with safe_open(str(path), framework="pt") as handle:
            meta = json.loads((handle.metadata() or {}).get(_META_KEY, "{}"))
        expected = {"data_fingerprint": data_fingerprint, "teacher_sha256": teacher_sha256}
        for key, value in expected.items():
            if value is not None and meta.get(key) != value:
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

    def __call__(self, indices: Tensor) -> Tensor:
        """Teacher logits of the given dataset indices, on the cache's device."""
        rows = self._row[indices.cpu()]
        if (rows < 0).any():
            raise KeyError(f"no cached teacher logits for dataset indices {indices[rows < 0][:5].tolist()}")
        return self._logits[rows.to(self._logits.device)]

    def split(self, name: str) -> tuple[Tensor, Tensor]:
        return self.splits[name]
