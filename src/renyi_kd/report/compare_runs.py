"""``renyi-kd compare``: the report's inference on any runs table, every method against one reference.

The table needs ``method`` and ``seed``; ``teacher`` and ``repeat`` are optional cluster factors (absent: one
cluster); each compared metric is one numeric column. Every metric is one Holm question of every method against
the reference (:func:`renyi_kd.report.inference.compare`, the code the report stage runs), with a TOST equivalence
test where a margin is given. Registered metrics (:data:`renyi_kd.metrics.METRICS`) know their direction; any other
is higher-is-better unless named lower-is-better. Imports no torch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from renyi_kd.metrics import METRICS
from renyi_kd.report.inference import COMPARISON_COLUMNS, EXTRA_COLUMNS, UNIT, compare, unit_frame
from renyi_kd.report.questions import declare_hypotheses
from renyi_kd.report.settings import Question, ReportSettings

__all__ = ["RunsTableError", "compare_runs", "parse_margins"]

REQUIRED = ("method", "seed")


class RunsTableError(ValueError):
    """A runs table (or an option about it) that cannot be compared; the message names the column."""


def parse_margins(entries: Sequence[str]) -> dict[str, float]:
    """``NAME=VALUE`` entries as ``{NAME: VALUE}`` (VALUE > 0, in the metric's units)."""
    margins = {}
    for entry in entries:
        name, _, value = entry.partition("=")
        try:
            margins[name] = float(value)
        except ValueError:
            raise RunsTableError(f"--margin {entry!r}: expected NAME=VALUE with a number") from None
        if not margins[name] > 0:
            raise RunsTableError(f"--margin {entry!r}: the margin must be positive")
    return margins


def _check_columns(runs: pd.DataFrame, metrics: Sequence[str]) -> None:
    for column in (*REQUIRED, *metrics):
        if column not in runs.columns:
            raise RunsTableError(f"column {column!r} is missing from the runs table (columns: {list(runs.columns)})")
    for metric in metrics:
        values = pd.to_numeric(runs[metric], errors="coerce")
        bad = runs.index[values.isna()]
        if len(bad):
            raise RunsTableError(f"column {metric!r} is not numeric: row {bad[0]} holds {runs.loc[bad[0], metric]!r}")
    missing = [c for c in (*REQUIRED, *UNIT) if c in runs.columns and runs[c].isna().any()]
    if missing:
        raise RunsTableError(f"column {missing[0]!r} has empty cells")


def _check_pairs(runs: pd.DataFrame, reference: str) -> None:
    """Every method has the reference's units, one row each: the seeds pair."""
    units = unit_frame(runs)
    named = ", ".join(c for c in UNIT if c in runs.columns)
    duplicated = units.duplicated()
    if duplicated.any():
        row = units[duplicated].iloc[0]
        raise RunsTableError(f"column 'seed': method {row['method']!r} has two rows for ({named}) = "
                             f"{tuple(runs.loc[row.name, [c for c in UNIT if c in runs.columns]])}")  # fmt: skip
    by_method = {m: set(part[list(UNIT)].itertuples(index=False, name=None)) for m, part in units.groupby("method")}
    if reference not in by_method:
        raise RunsTableError(f"column 'method': no runs of the reference {reference!r} (methods: {sorted(by_method)})")
    expected, shown = by_method[reference], [i for i, c in enumerate(UNIT) if c in runs.columns]
    for method, found in by_method.items():
        lacking, extra = sorted(expected - found), sorted(found - expected)
        if lacking or extra:
            unit, side = (lacking[0], reference) if lacking else (extra[0], method)
            raise RunsTableError(f"column 'seed': the ({named}) units of {method!r} do not pair with those of "
                                 f"{reference!r}: {tuple(unit[i] for i in shown)} is a run of {side!r} only")


def _directions(metrics: Sequence[str], lower_is_better: Sequence[str]) -> dict[str, bool]:
    for name in lower_is_better:
        if name not in metrics:
            raise RunsTableError(f"--lower-is-better {name!r}: not a compared metric (--metric {list(metrics)})")
        if name in METRICS and METRICS[name].higher_is_better:
            raise RunsTableError(f"--lower-is-better {name!r}: a registered metric whose higher values are better")
    return {m: METRICS[m].higher_is_better if m in METRICS else m not in lower_is_better for m in metrics}


def compare_runs(
    runs: pd.DataFrame, reference: str, metrics: Sequence[str], *, margins: Mapping[str, float] | None = None,
    lower_is_better: Sequence[str] = (), significance: float = 0.05, power: float = 0.8,
) -> pd.DataFrame:  # fmt: skip
    """The comparisons table of every method against ``reference``, one Holm question per metric (named after it),
    columns :data:`~renyi_kd.report.inference.COMPARISON_COLUMNS` then ``EXTRA_COLUMNS``. Raises
    :class:`RunsTableError` naming the column for a table that cannot be compared."""
    metrics = list(dict.fromkeys(metrics))
    margins = dict(margins or {})
    unknown = [m for m in margins if m not in metrics]
    if unknown:
        raise RunsTableError(f"--margin {unknown[0]}: not a compared metric (--metric {metrics})")
    _check_columns(runs, metrics)
    _check_pairs(runs, reference)
    directions = _directions(metrics, lower_is_better)
    questions = tuple(Question(metric, metric, (reference,), None) for metric in metrics)
    settings = ReportSettings(questions=questions, equivalence_reference=reference, equivalence_margin=margins,
                              significance=significance, power=power)  # fmt: skip
    methods = [reference, *sorted(set(runs["method"].astype(str)) - {reference})]
    hypotheses, _ = declare_hypotheses(questions, methods)
    table, _ = compare(runs.assign(method=runs["method"].astype(str)), hypotheses, settings,
                       higher_is_better=directions)  # fmt: skip
    return table[[*COMPARISON_COLUMNS, *EXTRA_COLUMNS]]
