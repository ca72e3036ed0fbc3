"""renyi-kd: knowledge distillation with Rényi divergences of order alpha, benchmarked fairly.

``from renyi_kd import DistillationLoss`` works as usual; the losses (and torch) load on first use, so
the command line and config validation start without them.
"""

from importlib import import_module
from typing import Any

__all__ = ["DistillationLoss", "distillation_loss", "kd_loss", "renyi_divergence"]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(import_module("renyi_kd.losses"), name)
    raise AttributeError(f"module 'renyi_kd' has no attribute {name!r}")
