"""Argument checks shared by the loss functions: each raises ValueError naming the argument."""

from __future__ import annotations

import math

from torch import Tensor


def check_temperature(temperature: object) -> float:
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float)):
        raise ValueError(f"temperature must be a positive number, got temperature={temperature!r}")
    if not (math.isfinite(temperature) and temperature > 0):
        raise ValueError(f"temperature must be finite and > 0, got temperature={temperature!r}")
    return float(temperature)


def check_beta(beta: object) -> float:
    if isinstance(beta, bool) or not isinstance(beta, (int, float)) or not (0.0 <= float(beta) <= 1.0):
        raise ValueError(f"beta must be in [0, 1], got beta={beta!r}")
    return float(beta)


def check_label_smoothing(label_smoothing: object) -> float:
    if isinstance(label_smoothing, bool) or not isinstance(label_smoothing, (int, float)) or not 0 <= label_smoothing < 1:
        raise ValueError(f"label_smoothing must be in [0, 1), got label_smoothing={label_smoothing!r}")
    return float(label_smoothing)


def check_pair(p_logits: Tensor, q_logits: Tensor, p_name: str, q_name: str) -> None:
    if p_logits.shape != q_logits.shape:
        raise ValueError(
            f"{p_name} and {q_name} must have the same shape, got {p_name}={tuple(p_logits.shape)} "
            f"and {q_name}={tuple(q_logits.shape)}"
        )
    if p_logits.ndim != 2:
        raise ValueError(f"{p_name} must have shape [batch, classes], got {p_name}={tuple(p_logits.shape)}")
