"""Declared questions and the hypotheses they hold, each hypothesis once.

A question (``report.comparisons`` in the config) is one metric: its methods (every method with runs when not
listed) against each of its references; Holm's adjustment runs over its tests. A hypothesis is an unordered
pair of methods on
one metric; it is written as ``method`` minus ``reference``. A pair of two references is tested a single time,
against the reference listed later (with ``references: [kl, ce]``: ``kl`` against ``ce``). A pair may belong
to only one question of a metric: otherwise it would be answered twice, at two levels.

A question over a grid of methods (:mod:`renyi_kd.method_grid`) names its methods and references by templates:
``methods: ["renyi-a{alpha}-T{T}"]`` with ``references: ["renyi-a1-T{T}"]`` tests every method whose name fits a
methods template against the reference its name's values fill in (each order against KL at the same temperature),
all in one Holm family.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from renyi_kd.config import ConfigError
from renyi_kd.method_grid import cell_fields, fill, is_template
from renyi_kd.report.settings import Question

__all__ = ["Hypothesis", "declare_hypotheses"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Hypothesis:
    question: str
    metric: str
    method: str
    reference: str

    @property
    def pair(self) -> frozenset[str]:
        return frozenset((self.method, self.reference))


def _grid_hypotheses(spec: Question, with_runs: Sequence[str], notes: list[str]) -> list[Hypothesis]:
    """Each method fitting one of the question's methods templates against each reference its values fill in."""
    hypotheses = []
    for method in with_runs:
        fields = next((f for t in spec.methods or () if (f := cell_fields(t, method)) is not None), None)
        for reference in [] if fields is None else [fill(t, fields) for t in spec.references]:
            if reference == method:
                continue
            if reference not in with_runs:
                notes.append(f"Question {spec.name}: reference {reference} of {method} has no runs; not tested.")
                continue
            hypotheses.append(Hypothesis(spec.name, spec.metric, method, reference))
    return hypotheses


def _question_hypotheses(spec: Question, with_runs: Sequence[str], notes: list[str]) -> list[Hypothesis]:
    if any(is_template(r) for r in spec.references):
        return _grid_hypotheses(spec, with_runs, notes)
    participants = list(with_runs) if spec.methods is None else list(spec.methods)
    for method in (m for m in participants if m not in with_runs):
        notes.append(f"Question {spec.name}: {method} has no runs; its comparisons are not tested.")
    hypotheses = []
    for position, reference in enumerate(spec.references):
        if reference not in with_runs:
            notes.append(f"Question {spec.name}: reference {reference} has no runs; no comparison against it is "
                         "tested.")
            continue
        for method in participants:
            later_reference = method in spec.references[position + 1 :]
            if method == reference or later_reference or method not in with_runs:
                continue
            hypotheses.append(Hypothesis(spec.name, spec.metric, method, reference))
    return hypotheses


def declare_hypotheses(questions: Sequence[Question], with_runs: Sequence[str]) -> tuple[list[Hypothesis], list[str]]:
    """The hypotheses of every question in declaration order, and notes on those that cannot be tested.

    ``with_runs``: the methods that have final runs, in report order (it orders the hypotheses). Raises
    :class:`ConfigError` when two questions of one metric share a pair.
    """
    notes: list[str] = []
    hypotheses: list[Hypothesis] = []
    owner: dict[tuple[str, frozenset[str]], str] = {}
    for spec in questions:
        for hypothesis in _question_hypotheses(spec, with_runs, notes):
            key = (hypothesis.metric, hypothesis.pair)
            if key in owner:
                raise ConfigError(
                    "report.comparisons",
                    f"{hypothesis.method} against {hypothesis.reference} on {hypothesis.metric} is in questions "
                    f"{owner[key]!r} and {spec.name!r}; a hypothesis belongs to one question",
                )
            owner[key] = spec.name
            hypotheses.append(hypothesis)
    for note in notes:
        logger.warning("%s", note)
    return hypotheses, notes
