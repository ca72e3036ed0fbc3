"""Thesis report of one experiment: inference, tables, figures and ``report.md`` (:mod:`renyi_kd.report.build`).

Reads ``results/{exp}/`` through :class:`renyi_kd.layout.Layout` and writes its ``report/`` folder: ``report.md``,
``tables/`` (LaTeX, Markdown, HTML and CSV) and ``figures/`` (PDF and PNG), one file set per registered artefact
(:mod:`renyi_kd.report.artefacts`). ``tables/comparisons.csv`` is the machine-readable contract: one row per
tested hypothesis of the declared questions (:mod:`renyi_kd.report.inference`).

>>> from renyi_kd.report import build_report
>>> build_report(Path("results/default"))  # doctest: +SKIP
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__all__ = ["build_report", "load_trials", "report_settings", "theory_figures"]

_HOMES = {
    "build_report": "renyi_kd.report.build",
    "theory_figures": "renyi_kd.report.build",
    "load_trials": "renyi_kd.report.inputs",
    "report_settings": "renyi_kd.report.settings",
}


def __getattr__(name: str) -> Any:
    """The public names, imported on first use: the modules that build the report import matplotlib, scipy and
    torch, which the workflow's other stages (``renyi_kd.report.aggregate``) need not load."""
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(_HOMES[name]), name)
