"""Scalings of the soft term as data: ``soft = factor(T) * mean_batch(per-sample term)``.

Pure Python (no torch). A scaling that divides by the family's order asks the family for its
order-normalised divergence (``Family.per_order``), which carries the limit at order 0.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scaling:
    """``s = T^temperature_power``, divided by the family's order when ``per_order``."""

    name: str
    temperature_power: int
    per_order: bool
    formula: str
    doc: str

    def factor(self, temperature: float) -> float:
        return temperature**self.temperature_power


SCALINGS: dict[str, Scaling] = {
    scaling.name: scaling
    for scaling in (
        Scaling("thesis", 2, True, "T^2/alpha",
                "keeps the high-temperature gradient at (z - v)/n for every order (thesis eq. 1.7)"),
        Scaling("hinton", 2, False, "T^2",
                "Hinton et al. 2015: the gradient of a second-order divergence falls as 1/T^2"),
        Scaling("linear", 1, False, "T",
                "for first-order divergences (TV), whose gradient falls as 1/T"),
        Scaling("none", 0, False, "1",
                "for soft terms whose student side is not tempered (TTM, WTTM)"),
    )
}


def get_scaling(name: object) -> Scaling:
    """The scaling called ``name``, or ValueError naming the argument."""
    if not isinstance(name, str) or name not in SCALINGS:
        raise ValueError(f"scaling must be one of {sorted(SCALINGS)}, got scaling={name!r}")
    return SCALINGS[name]
