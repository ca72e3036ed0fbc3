"""Data behind the theory figures (no runs needed), computed with the project's loss library.

- Temperature scaling (thesis Figure 1.1): ``softmax(v / T)`` of the logits 5.4, 0.2, -1.3 (horse, zebra, car).
- ``D_alpha(P || Q)`` against alpha for a fixed pair of distributions; non-decreasing in alpha
  (van Erven & Harremoës 2014, Theorem 3), from ``D_0 = -log sum_{p_i > 0} q_i`` to ``D_inf = max_i log(p_i/q_i)``.
- Mean ``|d soft_term / d z|`` against T with thesis eq. 1.8,
  ``dD_alpha/dz_j = (1/T)(q_j - p_j^alpha q_j^(1-alpha) / sum_i p_i^alpha q_i^(1-alpha))``, by autograd through
  :func:`renyi_kd.losses.renyi_soft_term`. For zero-mean logits and ``T >> alpha |v|, |(1 - alpha) z|`` it tends
  to ``alpha / (n T^2) (z_j - v_j)``, so with the thesis scaling ``s = T^2 / alpha`` the scaled gradient tends to
  ``(1/n)(z_j - v_j)`` for every alpha; at usual T a large alpha is under-weighted (DESIGN.md errata).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import torch

from renyi_kd.losses import renyi_divergence, renyi_soft_term

__all__ = [
    "DIVERGENCE_PAIR",
    "GRADIENT_ALPHAS",
    "THESIS_LOGITS",
    "divergence_vs_alpha_data",
    "gradient_vs_temperature_data",
    "softmax",
    "temperature_scaling_data",
]

THESIS_LOGITS: Mapping[str, float] = {"horse": 5.4, "zebra": 0.2, "car": -1.3}
# Teacher = the thesis example; the student is less sure of "horse" and ranks "car" above "zebra", so
# D_alpha rises visibly over the whole range of alpha.
DIVERGENCE_PAIR: tuple[tuple[float, ...], tuple[float, ...]] = ((5.4, 0.2, -1.3), (2.0, -1.0, 0.5))
GRADIENT_ALPHAS: tuple[float, ...] = (0.5, 1.0, 2.0, 5.0)


def softmax(logits: Sequence[float], temperature: float = 1.0) -> np.ndarray:
    """``softmax(v / T)`` in float64."""
    return torch.softmax(torch.tensor(logits, dtype=torch.float64) / temperature, dim=-1).numpy()


def temperature_scaling_data(
    logits: Mapping[str, float] = THESIS_LOGITS, temperatures: Sequence[float] = (1.0, 4.0)
) -> pd.DataFrame:
    """Long table with columns panel, class, value: the logits, then ``softmax(v / T)`` per temperature.

    ``panel`` is ``"logits"`` or ``"T = {T:g}"``; ``temperature`` is NaN for the logits.
    """
    classes = list(logits)
    values = [logits[c] for c in classes]
    rows = [{"panel": "logits", "temperature": np.nan, "class": c, "value": v} for c, v in zip(classes, values)]
    for temperature in temperatures:
        probs = softmax(values, temperature)
        rows += [
            {"panel": f"T = {temperature:g}", "temperature": float(temperature), "class": c, "value": float(p)}
            for c, p in zip(classes, probs)
        ]
    return pd.DataFrame(rows)


def divergence_vs_alpha_data(
    p_logits: Sequence[float] = DIVERGENCE_PAIR[0],
    q_logits: Sequence[float] = DIVERGENCE_PAIR[1],
    alphas: Sequence[float] | None = None,
    temperature: float = 1.0,
) -> pd.DataFrame:
    """``D_alpha(softmax(p/T) || softmax(q/T))`` per alpha, float64, with the orders 0, 1 and inf included.

    Default grid: 0.01..100 log-spaced. Columns alpha, divergence; sorted by alpha (inf last).
    """
    grid = np.logspace(-2, 2, 161) if alphas is None else np.asarray(alphas, dtype=float)
    grid = np.unique(np.concatenate([grid, [0.0, 1.0, math.inf]]))
    p = torch.tensor([p_logits], dtype=torch.float64)
    q = torch.tensor([q_logits], dtype=torch.float64)
    values = [float(renyi_divergence(p, q, float(alpha), temperature)[0]) for alpha in grid]
    return pd.DataFrame({"alpha": grid, "divergence": values})


def _logit_pair(n_classes: int, batch: int, scale: float, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    teacher = scale * torch.randn(batch, n_classes, generator=generator, dtype=torch.float64)
    student = scale * torch.randn(batch, n_classes, generator=generator, dtype=torch.float64)
    # Hinton's high-temperature argument assumes zero-mean logits per example.
    return teacher - teacher.mean(-1, keepdim=True), student - student.mean(-1, keepdim=True)


def gradient_vs_temperature_data(
    alphas: Sequence[float] = GRADIENT_ALPHAS,
    temperatures: Sequence[float] | None = None,
    *,
    n_classes: int = 10,
    batch: int = 8,
    scale: float = 3.0,
    seed: int = 0,
) -> pd.DataFrame:
    """Mean ``|d (s D_alpha) / d z|`` per (alpha, T) for a fixed random teacher/student logit pair.

    ``scaling = "thesis"``: ``s = T^2/alpha`` (the project's soft term); ``scaling = "none"``: ``s = 1``
    (the bare divergence). Gradients are per example (the batch mean's 1/batch factor is undone).
    ``prediction`` is the high-temperature limit ``(1/n) mean|z - v|`` scaled by ``s * alpha / T^2``
    (so the constant ``(1/n) mean|z - v|`` for thesis scaling). Columns: alpha, T, scaling, grad, prediction.
    """
    temps = np.logspace(math.log10(0.5), math.log10(50.0), 31) if temperatures is None else temperatures
    key = (tuple(float(a) for a in alphas), tuple(float(t) for t in temps))
    return _gradient_table(*key, n_classes, batch, float(scale), seed).copy()


@functools.lru_cache(maxsize=8)
def _gradient_table(
    alphas: tuple[float, ...], temperatures: tuple[float, ...], n_classes: int, batch: int, scale: float, seed: int
) -> pd.DataFrame:
    """Cached computation behind :func:`gradient_vs_temperature_data` (the figure and tests reuse it)."""
    teacher, student = _logit_pair(n_classes, batch, scale, seed)
    limit = float((student - teacher).abs().mean()) / n_classes
    rows = []
    for alpha in alphas:
        for temperature in temperatures:
            temperature = float(temperature)
            for scaling in ("thesis", "none"):
                z = student.clone().requires_grad_(True)
                if scaling == "thesis":
                    loss = renyi_soft_term(z, teacher, alpha=float(alpha), temperature=temperature, scaling="thesis")
                    prediction = limit
                else:
                    loss = renyi_divergence(teacher, z, float(alpha), temperature).mean()
                    prediction = limit * float(alpha) / temperature**2
                (grad,) = torch.autograd.grad(loss, z)
                rows.append(
                    {
                        "alpha": float(alpha),
                        "T": temperature,
                        "scaling": scaling,
                        "grad": float((grad * batch).abs().mean()),
                        "prediction": prediction,
                    }
                )
    return pd.DataFrame(rows)
