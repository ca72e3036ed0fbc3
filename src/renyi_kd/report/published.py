"""Published results as reference rows of the main table (``report.published``: e.g. docs/published.yaml).

The file lists, per (dataset, teacher, student), the published top-1 test accuracies (%) of the student
alone (``ce``), of KD (``kl``) and of the teacher, with their source. The entry matching the experiment's
runs becomes rows "Published: ..." of the main table: numbers from a paper, not runs of this project, so no
comparison is made against them and their protocol is stated beside them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

__all__ = ["PublishedRow", "published_rows"]

# The rows of the published tables and the project's methods they correspond to.
_ROWS = {"ce": "student alone", "kl": "KD (Hinton, T = 4, CE 0.1 + KD 0.9)"}


@dataclass(frozen=True)
class PublishedRow:
    method: str  # the project's method the published row corresponds to
    label: str
    test_acc: float  # a fraction, like runs.csv
    citation: str


def published_rows(path: str | Path | None, runs: pd.DataFrame) -> list[PublishedRow]:
    """The published rows for the experiment of ``runs`` (its dataset, teacher and student), or none."""
    if not path:
        return []
    document = yaml.safe_load(Path(path).read_text())
    first = runs.iloc[0]
    key = (first.get("dataset"), first.get("teacher"), first.get("student"))
    for entry in document.get("results", []):
        if (entry["dataset"], entry["teacher"], entry["student"]) == key:
            source = document["sources"][entry["source"]]
            return [PublishedRow(method, f"Published: {name}", entry[method] / 100, source["citation"])
                    for method, name in _ROWS.items() if method in entry]
    return []
