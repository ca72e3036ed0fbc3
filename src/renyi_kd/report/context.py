"""What the report's figures and tables are built from (:class:`ReportContext`), handed to every artefact."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from renyi_kd.method_grid import cell_fields, is_template
from renyi_kd.metrics import HEADLINE
from renyi_kd.report.methods import MethodCatalog
from renyi_kd.report.published import PublishedRow
from renyi_kd.report.settings import ReportSettings

__all__ = ["ReportContext"]


@dataclass
class ReportContext:
    """One experiment's inputs and the statistics over them; None where an input is missing.

    ``methods``: the methods with runs, in report order. ``level``: the intervals' level (a fraction).
    ``tuning``: the tuning objective's name and direction when every study shares one, else None.
    """

    figures: Path
    tables: Path
    catalog: MethodCatalog
    settings: ReportSettings
    methods: list[str] = field(default_factory=list)
    runs: pd.DataFrame | None = None
    summary: pd.DataFrame | None = None
    comparisons: pd.DataFrame | None = None
    teacher: dict[str, Any] | None = None
    tuned: pd.DataFrame | None = None
    trials: pd.DataFrame | None = None
    budget: pd.DataFrame | None = None
    objective: tuple[str, bool] | None = None
    histories: pd.DataFrame | None = None
    published: list[PublishedRow] = field(default_factory=list)
    experiment: str = ""
    level: float = 0.95
    label_prefix: str = "tab:"
    own_tuned: Any = None  # renyi_kd.report.own_tuned.OwnTuned where report.own_tuned names an experiment with runs

    @property
    def palette(self) -> dict[str, tuple[float, float, float]]:
        return self.catalog.colours

    @property
    def reference(self) -> str:
        return self.settings.equivalence_reference

    @property
    def references(self) -> list[str]:
        """The references of every declared question that have runs, in declaration order."""
        return list(dict.fromkeys(r for q in self.settings.questions for r in self._named(q.references)
                                  if r in self.methods))

    def _named(self, references: tuple[str, ...]) -> list[str]:
        """References as method names: a template stands for every method that fits it (KL at each temperature)."""
        return [m for r in references for m in ([r] if not is_template(r) else
                                                [m for m in self.methods if cell_fields(r, m) is not None])]

    def table_file(self, name: str, ext: str) -> Path:
        """A table's file under :attr:`tables` (as :meth:`renyi_kd.layout.ReportFiles.table` and
        :meth:`~renyi_kd.report.formatting.Table.write` name it)."""
        return self.tables / f"{name}.{ext}"

    @property
    def headline_references(self) -> list[str]:
        """The references of the questions on the headline metric (:data:`renyi_kd.metrics.HEADLINE`)."""
        return list(dict.fromkeys(r for q in self.settings.questions if q.metric == HEADLINE
                                  for r in self._named(q.references)))

    def caption_fields(self) -> dict[str, str]:
        """The values of the fields of the artefacts' captions."""
        return {"level": f"{100 * self.level:g}", "reference": self.catalog.label(self.reference),
                "experiment": self.experiment}
