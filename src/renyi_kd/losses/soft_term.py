"""Evaluating a registered family: ``divergence()`` for pointwise ones, :class:`SoftTerm` for any.

``soft term = factor(T) * mean_batch term(teacher, student)``; the term is the family's divergence of
``P = softmax(v / T)`` from ``Q = softmax(z / T)`` (divided by its order for the thesis scaling), or its
own function of the logits (and labels) for soft terms that are not a divergence of (P, Q) alone.
With ``standardize`` both rows of logits are z-scored first (Sun et al., CVPR 2024).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping

from torch import Tensor

from renyi_kd.losses.checks import check_pair, check_temperature
from renyi_kd.losses.logprobs import log_probs, standardize as standardized
from renyi_kd.losses.registry import Family, get_family
from renyi_kd.losses.scalings import Scaling


def _non_negative(value: Tensor) -> Tensor:
    # Every family is >= 0 in exact arithmetic: rounding noise below 0 is removed from the value, but the
    # gradient passes through, since it is not zero there (only the rounded value is). Infinite and NaN
    # values stay as they are.
    return value + value.detach().neg().clamp_min(0.0)


def _check_standardize(standardize: object) -> bool:
    if not isinstance(standardize, bool):
        raise ValueError(f"standardize must be True or False, got standardize={standardize!r}")
    return standardize


def _pointwise(function: Callable[..., Tensor], p_logits: Tensor, q_logits: Tensor, temperature: float,
               standardize: bool, params: Mapping[str, float]) -> Tensor:
    if standardize:
        p_logits, q_logits = standardized(p_logits), standardized(q_logits)
    return _non_negative(function(log_probs(p_logits, temperature), log_probs(q_logits, temperature), **params))


def divergence(
    name: str, p_logits: Tensor, q_logits: Tensor, *, temperature: float = 1.0, standardize: bool = False, **params: float
) -> Tensor:
    """``D(softmax(p/T) || softmax(q/T))`` per row, shape ``[batch]``, for a pointwise family ``name``.

    ``params`` are the family's parameters (defaults fill the rest); the papers' names declared as aliases
    are accepted too (``alpha``/``beta`` for ``alpha_beta``). Inputs in half precision are computed in
    float32; float32 and float64 stay in their dtype. Bad arguments raise ValueError naming them.
    """
    family = get_family(name)
    if not family.pointwise:
        raise ValueError(f"divergence={name!r} is not a divergence of (P, Q) alone: evaluate it with kd_loss")
    values = family.resolve_params(params, aliases=True)
    temperature = check_temperature(temperature)
    check_pair(p_logits, q_logits, "p_logits", "q_logits")
    return _pointwise(family.fn, p_logits, q_logits, temperature, _check_standardize(standardize), values)


@dataclass(frozen=True)
class SoftTerm:
    """A checked soft term: family, parameter values, temperature, scaling and the standardisation option."""

    family: Family
    params: Mapping[str, float]
    temperature: float
    scaling: Scaling
    standardize: bool

    @classmethod
    def build(
        cls, divergence: str, *, temperature: float, scaling: str | None = None, standardize: bool = False,
        **params: float,
    ) -> SoftTerm:
        """Check every argument eagerly (ValueError naming the bad one); ``scaling=None`` is the family's default."""
        family = get_family(divergence)
        return cls(
            family=family,
            params=family.resolve_params(params),
            temperature=check_temperature(temperature),
            scaling=family.scaling(scaling),
            standardize=_check_standardize(standardize),
        )

    def per_sample(self, student_logits: Tensor, teacher_logits: Tensor, targets: Tensor | None) -> Tensor:
        """The unscaled term per row, shape ``[batch]``."""
        check_pair(teacher_logits, student_logits, "teacher_logits", "student_logits")
        if self.family.needs_targets and targets is None:
            raise ValueError(f"divergence={self.family.name!r} needs the labels: targets=None is not allowed")
        if self.family.pointwise:
            function = self.family.per_order_fn if self.scaling.per_order else self.family.fn
            return _pointwise(function, teacher_logits, student_logits, self.temperature, self.standardize, self.params)
        if self.standardize:
            teacher_logits, student_logits = standardized(teacher_logits), standardized(student_logits)
        return _non_negative(self.family.fn(teacher_logits, student_logits, targets, temperature=self.temperature, **self.params))

    def __call__(self, student_logits: Tensor, teacher_logits: Tensor, targets: Tensor | None = None) -> Tensor:
        """``factor(T) * mean_batch term``: the soft term of the distillation loss."""
        return self.scaling.factor(self.temperature) * self.per_sample(student_logits, teacher_logits, targets).mean()

    def describe(self) -> str:
        fields = [f"divergence={self.family.name}", *(f"{k}={v}" for k, v in self.params.items()),
                  f"T={self.temperature}", f"scaling={self.scaling.name}"]
        return ", ".join(fields + (["standardize=True"] if self.standardize else []))
