"""Declared Holm families and the hypotheses they hold, each hypothesis once.

A family (``report.comparisons`` in the config) is one metric and one question: its methods (every method
with runs when not listed) against each of its references. A hypothesis is an unordered pair of methods on
one metric; it is written as ``method`` minus ``reference``. A pair of two references is tested a single time,
against the reference listed later (with ``references: [kl, ce]``: ``kl`` against ``ce``). A pair may belong
to only one family of a metric: otherwise one question would be answered twice, at two levels.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from renyi_kd.config import ConfigError
from renyi_kd.report.settings import FamilySpec

__all__ = ["Hypothesis", "declare_hypotheses"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Hypothesis:
    family: str
    metric: str
    method: str
    reference: str

    @property
    def pair(self) -> frozenset[str]:
        return frozenset((self.method, self.reference))


def _family_hypotheses(spec: FamilySpec, with_runs: Sequence[str], notes: list[str]) -> list[Hypothesis]:
    participants = list(with_runs) if spec.methods is None else list(spec.methods)
    for method in (m for m in participants if m not in with_runs):
        notes.append(f"Family {spec.name}: {method} has no runs; its comparisons are not tested.")
    hypotheses = []
    for position, reference in enumerate(spec.references):
        if reference not in with_runs:
            notes.append(f"Family {spec.name}: reference {reference} has no runs; no comparison against it is tested.")
            continue
        for method in participants:
            later_reference = method in spec.references[position + 1 :]
            if method == reference or later_reference or method not in with_runs:
                continue
            hypotheses.append(Hypothesis(spec.name, spec.metric, method, reference))
    return hypotheses


def declare_hypotheses(families: Sequence[FamilySpec], with_runs: Sequence[str]) -> tuple[list[Hypothesis], list[str]]:
    """The hypotheses of every family in declaration order, and notes on those that cannot be tested.

    ``with_runs``: the methods that have final runs, in report order (it orders the hypotheses). Raises
    :class:`ConfigError` when two families of one metric share a pair.
    """
    notes: list[str] = []
    hypotheses: list[Hypothesis] = []
    owner: dict[tuple[str, frozenset[str]], str] = {}
    for spec in families:
        for hypothesis in _family_hypotheses(spec, with_runs, notes):
            key = (hypothesis.metric, hypothesis.pair)
            if key in owner:
                raise ConfigError(
                    "report.comparisons",
                    f"{hypothesis.method} against {hypothesis.reference} on {hypothesis.metric} is in families "
                    f"{owner[key]!r} and {spec.name!r}; a hypothesis belongs to one family",
                )
            owner[key] = spec.name
            hypotheses.append(hypothesis)
    for note in notes:
        logger.warning("%s", note)
    return hypotheses, notes
