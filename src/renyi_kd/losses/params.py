"""Parameters of a divergence family as data: name, domain, default, search range and symbols for labels.

Pure Python (no torch), so that the configuration and the tuner can read and check parameters cheaply.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping

LABEL_STYLES = ("text", "latex", "mpl")


@dataclass(frozen=True)
class SearchRange:
    """Where a tuner samples a parameter: uniformly in ``[low, high]``, or log-uniformly when ``log``."""

    low: float
    high: float
    log: bool = False

    def __post_init__(self) -> None:
        if not self.low < self.high or (self.log and self.low <= 0):
            raise ValueError(f"a search range needs low < high (and low > 0 when log), got {self}")


@dataclass(frozen=True)
class Param:
    """One real parameter of a family.

    ``name`` is the name in code, config, MLflow params and tables, and must mean one thing across the
    project (``alpha`` is the Rényi order, ``beta`` is reserved for the weight of the soft term).
    The domain is ``low .. high`` with each end open or closed; an infinite end is allowed as a value
    only if it is closed. ``search`` is the default tuning range, or None when the parameter is not tuned
    by default. ``symbol`` maps each label style ("text", "latex", "mpl") to how the parameter is written.
    ``alias`` is the paper's name, accepted by :func:`renyi_kd.losses.divergence` only, where the family
    is explicit and no soft-term weight can be confused with it.
    """

    name: str
    default: float
    low: float
    high: float
    symbol: Mapping[str, str]
    search: SearchRange | None = None
    low_open: bool = False
    high_open: bool = False
    alias: str | None = None
    doc: str = ""

    def __post_init__(self) -> None:
        missing = set(LABEL_STYLES) - set(self.symbol)
        if missing:
            raise ValueError(f"parameter {self.name!r} has no symbol for label styles {sorted(missing)}")
        self.check(self.default)
        if self.search is not None:
            self.check(self.search.low)
            self.check(self.search.high)

    @property
    def domain(self) -> str:
        """The domain in interval notation, e.g. ``[0, inf]`` or ``(0, 1)``."""
        return f"{'(' if self.low_open else '['}{_number(self.low)}, {_number(self.high)}{')' if self.high_open else ']'}"

    def check(self, value: object) -> float:
        """``value`` as a float, or ValueError naming the parameter if it is not a real number in the domain."""
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"{self.name} must be a real number in {self.domain}, got {self.name}={value!r}")
        number = float(value)
        below = number < self.low or (self.low_open and number == self.low)
        above = number > self.high or (self.high_open and number == self.high)
        if math.isnan(number) or below or above:
            raise ValueError(f"{self.name} must be in {self.domain}, got {self.name}={value!r}")
        return number


def format_value(value: float, style: str) -> str:
    """A parameter value for a label: shortest round-trip form, infinity as a symbol."""
    if math.isinf(value):
        return {"text": "∞", "latex": r"\infty", "mpl": r"\infty"}[style] if value > 0 else "-" + format_value(-value, style)
    return f"{value:g}"


def _number(value: float) -> str:
    return "inf" if value == math.inf else "-inf" if value == -math.inf else f"{value:g}"
