"""Divergences and distillation losses: pure functions of logits, no I/O.

Notation used everywhere in the project: teacher logits ``v``, student logits ``z``, temperature ``T``,
``P = softmax(v / T)``, ``Q = softmax(z / T)``; ``alpha`` is the Rényi order, ``beta`` the weight of the soft term.

Distillation loss::

    L = (1 - beta) * CE(y, softmax(z)) + beta * s * mean_batch term(P_T, Q_T)

where the term is a registered family (:data:`FAMILIES`: Rényi, KL, reverse KL, Amari, alpha-beta, JS, TV,
skew KL, DKD, TTM, WTTM) and ``s`` a registered scaling (:data:`SCALINGS`; the thesis scaling
``T^2 / alpha`` for Rényi, whose alpha -> 0 limit is ``T^2 KL(Q || P)``).

The registry (``FAMILIES``, ``Family``, ``Param``, ``register_family``, ``SCALINGS``) is importable without
torch; the tensor functions load torch on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from renyi_kd.losses import families as _builtin  # noqa: F401  (registers the built-in families)
from renyi_kd.losses.params import LABEL_STYLES, Param, SearchRange
from renyi_kd.losses.registry import FAMILIES, Family, get_family, register_family, unregister_family
from renyi_kd.losses.scalings import SCALINGS, Scaling, get_scaling

if TYPE_CHECKING:
    from renyi_kd.losses.kd import DistillationLoss, distillation_loss, kd_loss, renyi_divergence, renyi_soft_term
    from renyi_kd.losses.logprobs import standardize
    from renyi_kd.losses.soft_term import SoftTerm, divergence

_LAZY = {
    "divergence": "renyi_kd.losses.soft_term",
    "SoftTerm": "renyi_kd.losses.soft_term",
    "kd_loss": "renyi_kd.losses.kd",
    "DistillationLoss": "renyi_kd.losses.kd",
    "distillation_loss": "renyi_kd.losses.kd",
    "renyi_divergence": "renyi_kd.losses.kd",
    "renyi_soft_term": "renyi_kd.losses.kd",
    "standardize": "renyi_kd.losses.logprobs",
}

__all__ = [
    "FAMILIES", "Family", "LABEL_STYLES", "Param", "SCALINGS", "Scaling", "SearchRange",
    "get_family", "get_scaling", "register_family", "unregister_family", *_LAZY,
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'renyi_kd.losses' has no attribute {name!r}")
