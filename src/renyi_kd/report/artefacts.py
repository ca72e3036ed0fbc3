"""The report's figures and tables: every one is an :class:`Artefact` record in :data:`ARTEFACTS`, registered
where it is drawn (``@figure(...)`` in :mod:`renyi_kd.report.figures`, ``@table(...)`` in
:mod:`renyi_kd.report.tables`, ...).

:func:`renyi_kd.report.build.build_report` builds every record, ``report.md`` places each in its section with its
caption (:mod:`renyi_kd.report.document`), and ``snakemake --report`` shows each file with the same caption
(:func:`snakemake_captions`, read by ``workflow/report/artefact.rst``). Nothing else lists them.

A new figure is one function and one decorator::

    @figure("accuracy_histogram", section="results", caption="Histogram of the final runs' test accuracy.",
            needs=("runs",))
    def accuracy_histogram(report: ReportContext) -> list[Path] | None:
        fig, ax = plt.subplots()
        ax.hist(100 * report.runs["test_acc"])
        return save_figure(fig, report.figures, "accuracy_histogram")
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from renyi_kd.experiment import Experiment
    from renyi_kd.report.context import ReportContext

__all__ = [
    "ARTEFACTS",
    "SECTIONS",
    "Artefact",
    "captions_param",
    "figure",
    "in_section",
    "snakemake_captions",
    "table",
    "unregister_artefact",
]

SECTIONS = ("results", "tuning", "models", "theory")  # the sections of report.md, in order


@dataclass(frozen=True)
class Artefact:
    """One figure or table of the report.

    ``caption``: its caption, with ``{level}`` (the interval level in percent), ``{reference}`` (the equivalence
    reference's label) and ``{experiment}`` filled in. ``needs``: the attributes of the
    :class:`~renyi_kd.report.context.ReportContext` it is built from; it is skipped (with a note) when one is
    missing. ``build(report)`` returns the written paths (a figure's ``.pdf`` and ``.png``), a
    :class:`~renyi_kd.report.formatting.Table` (written under ``tables/`` and shown in ``report.md``), or None
    when its inputs hold nothing to draw. ``rank``: its place in its section (lower first; ties keep the order
    of registration). ``written``: a table that only ``report.md`` shows (no files). ``applies``: whether the
    experiment asks for it at all (None: always); one that does not apply is neither built nor listed as skipped
    (the grid heatmap in an experiment without a grid).
    """

    name: str
    kind: str  # "figure" or "table"
    section: str
    caption: str
    build: Callable[[ReportContext], Any]
    needs: tuple[str, ...] = ()
    rank: int = 0
    written: bool = True
    applies: Callable[[ReportContext], bool] | None = None

    def caption_for(self, **fields: str) -> str:
        return self.caption.format(**fields)


ARTEFACTS: dict[tuple[str, str], Artefact] = {}  # (kind, name): a figure and a table may share a name


def _register(kind: str, name: str, *, section: str, caption: str, needs: tuple[str, ...] = (), rank: int = 0,
              written: bool = True, applies: Callable[[ReportContext], bool] | None = None
              ) -> Callable[[Callable[[ReportContext], Any]], Callable[[ReportContext], Any]]:
    if section not in SECTIONS:
        raise ValueError(f"section must be one of {SECTIONS}, got {section!r}")

    def register(build: Callable[[ReportContext], Any]) -> Callable[[ReportContext], Any]:
        if (kind, name) in ARTEFACTS:
            raise ValueError(f"report {kind} {name!r} is already registered")
        ARTEFACTS[kind, name] = Artefact(name, kind, section, caption, build, tuple(needs), rank, written, applies)
        return build

    return register


def figure(name: str, **record: Any) -> Callable[[Callable[[ReportContext], Any]], Callable[[ReportContext], Any]]:
    """Register the decorated ``build(report) -> list[Path] | None`` as the figure ``name`` (see :class:`Artefact`)."""
    return _register("figure", name, **record)


def table(name: str, **record: Any) -> Callable[[Callable[[ReportContext], Any]], Callable[[ReportContext], Any]]:
    """Register the decorated ``build(report) -> Table | list[Path] | None`` as the table ``name``."""
    return _register("table", name, **record)


def unregister_artefact(kind: str, name: str) -> None:
    ARTEFACTS.pop((kind, name))


def in_section(section: str, kind: str | None = None) -> list[Artefact]:
    """The artefacts of ``section`` (of one ``kind``, if given) in the order report.md shows them."""
    chosen = [a for a in ARTEFACTS.values() if a.section == section and kind in (None, a.kind)]
    return sorted(chosen, key=lambda a: a.rank)


def _rst_text(text: str) -> str:
    """Plain text as reStructuredText: its markup characters escaped (``|z|`` is no substitution)."""
    return re.sub(r"([\\`*_|<>])", r"\\\1", text)


def snakemake_captions(kind: str, fields: Mapping[str, str]) -> dict[str, str]:
    """The caption of every artefact of ``kind`` as reStructuredText, by name (``snakemake --report``)."""
    return {a.name: _rst_text(a.caption_for(**fields)) for a in ARTEFACTS.values() if a.kind == kind}


def captions_param(kind: str, experiment: Experiment) -> Callable[[Any], dict[str, str]]:
    """A Snakemake ``params`` function giving the captions of the artefacts of ``kind``: it imports the modules
    that register them (matplotlib and all) only when the report job is built, never when the workflow is parsed."""

    def captions(wildcards: Any) -> dict[str, str]:
        from renyi_kd.report.build import report_captions

        return report_captions(kind, experiment)

    return captions
