"""Published results as reference rows of the main table (``report.published``: e.g. docs/published.yaml).

The file lists, per (dataset, teacher, student), the published top-1 test accuracies (%) of the teacher and of
methods named as this project names them (the student alone, Hinton's KD), with their source. The entry
matching the experiment's runs becomes rows "Published: ..." of the main table: numbers from a paper, not runs
of this project, so no comparison is made against them and their protocol is stated beside them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from renyi_kd.report.methods import MethodCatalog

__all__ = ["PublishedRow", "published_rows"]

# The keys of an entry that name its pair, its source and the teacher: every other key is a method's row.
_ENTRY_KEYS = ("dataset", "teacher", "student", "source", "teacher_acc")


@dataclass(frozen=True)
class PublishedRow:
    method: str  # the project's method the published row corresponds to
    label: str
    test_acc: float  # a fraction, like runs.csv
    citation: str


def published_rows(path: str | Path | None, runs: pd.DataFrame,
                   catalog: MethodCatalog | None = None) -> list[PublishedRow]:
    """The published rows for the experiment of ``runs`` (its dataset, teacher and student), or none; each
    labelled "Published: " and its method's label (``catalog``; default: the name's shorthand)."""
    catalog = catalog or MethodCatalog()
    if not path:
        return []
    document = yaml.safe_load(Path(path).read_text())
    first = runs.iloc[0]
    key = (first.get("dataset"), first.get("teacher_model"), first.get("student"))
    for entry in document.get("results", []):
        if (entry["dataset"], entry["teacher"], entry["student"]) == key:
            source = document["sources"][entry["source"]]
            return [PublishedRow(method, f"Published: {catalog.label(method)}", entry[method] / 100, source["citation"])
                    for method in entry if method not in _ENTRY_KEYS]
    return []
