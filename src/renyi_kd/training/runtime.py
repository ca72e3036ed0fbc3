"""Where and how a job runs: device, mixed precision, memory format, threads, seeds, progress display."""

from __future__ import annotations

import contextlib
import logging
import os
import random
import sys
from dataclasses import dataclass

import numpy as np
import torch

from renyi_kd.experiment import RuntimeConfig

log = logging.getLogger("renyi_kd")


@dataclass(frozen=True)
class Runtime:
    """The same code runs on a laptop CPU and a GPU: AMP and channels_last switch on with CUDA."""

    device: torch.device
    amp: bool
    channels_last: bool
    progress_bar: bool

    @classmethod
    def from_config(cls, runtime: RuntimeConfig, threads: int | None = None) -> "Runtime":
        wanted = runtime.device
        if wanted == "cuda" and not torch.cuda.is_available():
            raise RuntimeError("runtime.device is 'cuda' but no CUDA device is available")
        cuda = wanted == "cuda" or (wanted == "auto" and torch.cuda.is_available())
        torch.set_num_threads(threads or runtime.threads)
        bar = runtime.progress == "bar" or (runtime.progress == "auto" and sys.stderr.isatty() and not os.environ.get("CI"))
        return cls(
            device=torch.device("cuda" if cuda else "cpu"),
            amp=cuda and runtime.amp,
            channels_last=cuda and runtime.channels_last,
            progress_bar=bar,
        )

    @property
    def hardware(self) -> str:
        """What the job ran on, as the results record it: the GPU's name, or the CPU's model and the threads."""
        if self.device.type == "cuda":
            return f"GPU {torch.cuda.get_device_name(self.device)}"
        return f"CPU {_cpu_model()}, {torch.get_num_threads()} thread(s)"

    def autocast(self) -> contextlib.AbstractContextManager:
        if not self.amp:
            return contextlib.nullcontext()
        return torch.autocast("cuda", dtype=torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16)

    @property
    def needs_grad_scaler(self) -> bool:
        return self.amp and not torch.cuda.is_bf16_supported()

    def prepare_model(self, model: torch.nn.Module) -> torch.nn.Module:
        model = model.to(self.device)
        return model.to(memory_format=torch.channels_last) if self.channels_last else model

    def prepare_batch(self, x: torch.Tensor) -> torch.Tensor:
        x = x.to(self.device, non_blocking=True)
        return x.contiguous(memory_format=torch.channels_last) if self.channels_last else x


def _cpu_model() -> str:
    """The CPU's model name (Linux's /proc/cpuinfo), else the platform's processor or machine."""
    import platform
    from pathlib import Path

    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def seed_everything(seed: int) -> None:
    """Seed every generator and ask for deterministic kernels (same config + seed -> same numbers)."""
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # must precede the first cuBLAS call
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.backends.cudnn.benchmark = False
    # warn_only: a few CUDA kernels (e.g. some pooling backward passes) have no deterministic version
    torch.use_deterministic_algorithms(True, warn_only=True)
