"""The report's settings: the ``report:`` block of the config, validated, with the schema's defaults filled in.

Every key is documented in ``workflow/schemas/config.schema.yaml`` (``report:``); this module turns the block
into typed values. ``report_settings(None)`` gives the defaults: per metric one Holm family of every method
against ``kl`` and against ``ce``, TOST equivalence against ``kl`` with a margin of 1 point of accuracy,
level 0.05, power 0.8, 2000 bootstrap resamples with seed 0.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jsonschema

from renyi_kd.config import ConfigError, _with_defaults, load_schema

__all__ = ["FamilySpec", "ReportSettings", "report_settings"]


@dataclass(frozen=True)
class FamilySpec:
    """One declared Holm family: one metric, one question (its methods against its references)."""

    name: str
    metric: str
    references: tuple[str, ...]
    methods: tuple[str, ...] | None  # None: every method with runs


@dataclass(frozen=True)
class ReportSettings:
    families: tuple[FamilySpec, ...]
    equivalence_reference: str
    equivalence_margin: Mapping[str, float]  # metric -> margin in the metric's units (runs.csv)
    significance: float
    power: float
    resamples: int
    bootstrap_seed: int
    published: str | None = None  # docs/published.yaml: reference rows of published numbers

    def margin(self, metric: str) -> float | None:
        return self.equivalence_margin.get(metric)


def _report_schema() -> dict[str, Any]:
    schema = load_schema()
    return {"type": "object", "properties": {"report": schema["properties"]["report"]}}


def report_settings(settings: Mapping[str, Any] | None = None) -> ReportSettings:
    """Validate a ``report:`` block (None: all defaults); raise :class:`ConfigError` naming the key."""
    document = {"report": copy.deepcopy(dict(settings or {}))}
    validator = _with_defaults(jsonschema.Draft202012Validator)(_report_schema())
    error = jsonschema.exceptions.best_match(validator.iter_errors(document))
    if error is not None:
        raise ConfigError(".".join(str(p) for p in error.absolute_path) or "report", error.message)
    block = document["report"]
    families = []
    for i, family in enumerate(block["comparisons"]):
        name = family.get("family") or family["metric"]
        if name in {f.name for f in families}:
            raise ConfigError(f"report.comparisons.{i}.family", f"family {name!r} is declared twice; give each a name")
        methods = family.get("methods")
        families.append(
            FamilySpec(name, family["metric"], tuple(family["references"]), None if methods is None else tuple(methods))
        )
    return ReportSettings(
        families=tuple(families),
        equivalence_reference=block["equivalence_reference"],
        equivalence_margin=dict(block["equivalence_margin"]),
        significance=float(block["significance"]),
        power=float(block["power"]),
        resamples=int(block["bootstrap"]["resamples"]),
        bootstrap_seed=int(block["bootstrap"]["seed"]),
        published=block["published"],
    )
