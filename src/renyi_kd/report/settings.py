"""The report's settings: the ``report:`` block of the config, validated, with the schema's defaults filled in.

Every key is documented in ``workflow/schemas/config.schema.yaml`` (``report:``); this module turns the block
into typed values. ``report_settings(None)`` gives the defaults: per comparable metric of
:data:`renyi_kd.metrics.METRICS` one question (Holm's adjustment runs over its tests) of every method against
``kl`` and against ``ce``, TOST equivalence against ``kl`` with a margin of 1 point of accuracy,
level 0.05, power 0.8.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jsonschema

from renyi_kd.config import ConfigError, _with_defaults, load_schema
from renyi_kd.method_grid import cell_fields
from renyi_kd.metrics import COMPARED_BY_DEFAULT

__all__ = ["Question", "ReportSettings", "report_settings"]


@dataclass(frozen=True)
class Question:
    """One declared question: one metric, its methods against its references; Holm's adjustment runs over its tests.

    ``name`` is the ``family`` column of ``comparisons.csv`` and the ``family`` key of ``report.comparisons``."""

    name: str
    metric: str
    references: tuple[str, ...]
    methods: tuple[str, ...] | None  # None: every method with runs


@dataclass(frozen=True)
class ReportSettings:
    questions: tuple[Question, ...]
    equivalence_reference: str
    equivalence_margin: Mapping[str, float]  # metric -> margin in the metric's units (runs.csv)
    significance: float
    power: float
    published: str | None = None  # docs/published.yaml: reference rows of published numbers
    own_tuned: str | None = None  # an experiment whose tuned runs every grid cell is compared with (report.own_tuned)

    def margin(self, metric: str) -> float | None:
        return self.equivalence_margin.get(metric)

    def is_equivalence_reference(self, method: str) -> bool:
        """``method`` is the equivalence reference, or fits it where it is a template (every cell of KL in a grid)."""
        return cell_fields(self.equivalence_reference, method) is not None


def _report_schema() -> dict[str, Any]:
    schema = load_schema()
    return {"type": "object", "properties": {"report": schema["properties"]["report"]}}


def _questions(entry: Mapping[str, Any]) -> list[Question]:
    """The questions of one ``report.comparisons`` entry: its metric's, or one per per-image metric without one."""
    methods = entry.get("methods")
    methods = None if methods is None else tuple(methods)
    if "metric" in entry:
        return [Question(entry.get("family") or entry["metric"], entry["metric"], tuple(entry["references"]), methods)]
    prefix = f"{entry['family']}-" if entry.get("family") else ""
    return [Question(prefix + metric, metric, tuple(entry["references"]), methods) for metric in COMPARED_BY_DEFAULT]


def report_settings(settings: Mapping[str, Any] | None = None) -> ReportSettings:
    """Validate a ``report:`` block (None: all defaults); raise :class:`ConfigError` naming the key."""
    document = {"report": copy.deepcopy(dict(settings or {}))}
    validator = _with_defaults(jsonschema.Draft202012Validator)(_report_schema())
    error = jsonschema.exceptions.best_match(validator.iter_errors(document))
    if error is not None:
        raise ConfigError(".".join(str(p) for p in error.absolute_path) or "report", error.message)
    block = document["report"]
    questions: list[Question] = []
    for i, entry in enumerate(block["comparisons"]):
        for question in _questions(entry):
            if question.name in {q.name for q in questions}:
                raise ConfigError(f"report.comparisons.{i}.family",
                                  f"question {question.name!r} is declared twice; give each a name")
            questions.append(question)
    return ReportSettings(
        questions=tuple(questions),
        equivalence_reference=block["equivalence_reference"],
        equivalence_margin=dict(block["equivalence_margin"]),
        significance=float(block["significance"]),
        power=float(block["power"]),
        published=block["published"],
        own_tuned=block.get("own_tuned"),
    )
