"""Tables rendered from the comparisons table (``tables/comparisons.csv``, :mod:`renyi_kd.report.inference`).

- ``comparisons``: one table per declared question (one ``table`` float each in ``comparisons.tex``, one after
  the other in ``comparisons.md``): method, reference, n, difference with its interval, p, Holm-adjusted p,
  Holm-adjusted TOST p and the verdict. Its CSV is the comparisons table itself.
- the verdict table of ``report.md``: per method, its difference to each reference with interval and verdict.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from renyi_kd.metrics import HEADLINE, METRICS
from renyi_kd.report.artefacts import table
from renyi_kd.report.context import ReportContext
from renyi_kd.report.formatting import Table, fmt_p, html_page, is_missing, label_safe, latex_escape
from renyi_kd.report.inference import COMPARISON_COLUMNS, EXTRA_COLUMNS, against
from renyi_kd.report.methods import MethodCatalog

__all__ = [
    "cluster_range", "comparison_tables", "fmt_difference", "fmt_margin", "metric_name", "verdict_table",
    "write_comparisons",
]  # fmt: skip

def metric_name(metric: str) -> str:
    """The metric's long name (:data:`renyi_kd.metrics.METRICS`), or its name when it has no record."""
    return METRICS[metric].long_name if metric in METRICS else metric


def _scale(metric: str) -> tuple[float, int, str]:
    """Factor, decimals and unit of a difference: percentage points for percentages, else the metric's units."""
    if metric not in METRICS:
        return 1.0, 3, ""
    record = METRICS[metric]
    return record.scale, record.decimals, record.difference_unit


def fmt_difference(metric: str, diff: float, low: float | None = None, high: float | None = None) -> str:
    """``+0.13 pp [−0.40, +0.66]`` (the interval when given), in percentage points for fractions."""
    scale, decimals, unit = _scale(metric)
    text = f"{scale * diff:+.{decimals}f}{unit}".replace("-", "−")
    if low is None or is_missing(low):
        return text
    return text + f" [{scale * low:+.{decimals}f}, {scale * high:+.{decimals}f}]".replace("-", "−")


def fmt_margin(metric: str, margin: float) -> str:
    scale, decimals, unit = _scale(metric)
    return f"±{scale * margin:.{decimals}f}{unit}"


def cluster_range(comparisons: pd.DataFrame) -> str:
    """The numbers of clusters the rows rest on: ``4``, or ``1 to 4`` when they differ."""
    clusters = sorted(set(comparisons["clusters"].astype(int)))
    return " to ".join(map(str, dict.fromkeys([clusters[0], clusters[-1]])))


def _units(rows: pd.DataFrame) -> str:
    """The units of replication of a question's rows, in words."""
    if set(rows["clusters"]) == {1}:
        return "seeds (one cluster: this teacher and this tuning draw)"
    return f"{cluster_range(rows)} clusters (teachers × tuning draws)"


def _question_table(name: str, rows: pd.DataFrame, level: float, catalog: MethodCatalog) -> Table:
    metric = rows["metric"].iloc[0]
    numbers = [
        [str(int(row.n)), fmt_difference(metric, row.diff, row.ci_low, row.ci_high), fmt_p(row.p),
         fmt_p(row.p_adjusted), "–" if is_missing(row.margin) else fmt_p(row.p_tost_adjusted), row.verdict]
        for row in rows.itertuples()
    ]  # fmt: skip
    pairs = list(zip(rows["method"], rows["reference"]))
    text_rows = [[catalog.label(m), catalog.label(r), *cells] for (m, r), cells in zip(pairs, numbers)]
    latex_rows = [
        [catalog.label(m, "latex"), catalog.label(r, "latex"), *map(latex_escape, cells)]
        for (m, r), cells in zip(pairs, numbers)
    ]
    margins = rows["margin"].dropna()
    margin = f"within {fmt_margin(metric, margins.iloc[0])}" if len(margins) else "not run (no margin for this metric)"
    notes = [
        f"Question {name}: {metric_name(metric)}, {len(rows)} hypotheses. Difference: method − reference with its "
        f"{100 * level:g}% t interval over {_units(rows)}, with the test sample's variance where every run has "
        "per-image values; p: the t-test of the same statistic, Holm-adjusted within the question; n: paired runs.",
        f"TOST equivalence {margin}, Holm-adjusted over the question's equivalence tests.",
    ]
    return Table(
        name=f"comparisons-{label_safe(name)}",
        caption=f"Paired comparisons, question {name} ({metric_name(metric)})",
        text_header=["Method", "Reference", "n", "Difference [CI]", "p", "p (Holm)", "TOST p (Holm)", "Verdict"],
        latex_header=["Method", "Reference", "$n$", "Difference [CI]", "$p$", "$p$ (Holm)", "TOST $p$", "Verdict"],
        text_rows=text_rows,
        latex_rows=latex_rows,
        data=rows,
        notes=notes,
        align="llrrrrrl",
    )


def comparison_tables(comparisons: pd.DataFrame, level: float, catalog: MethodCatalog | None = None) -> list[Table]:
    """One :class:`Table` per question (column ``family``), in the order of ``comparisons``."""
    catalog = catalog or MethodCatalog()
    questions = comparisons.groupby("family", sort=False)
    return [_question_table(str(name), rows, level, catalog) for name, rows in questions]


def write_comparisons(comparisons: pd.DataFrame, out_dir: Path, *, level: float, label_prefix: str,
                      catalog: MethodCatalog | None = None) -> list[Path]:
    """``comparisons.csv`` (the contract: :data:`COMPARISON_COLUMNS`, then :data:`EXTRA_COLUMNS`), and the
    per-question tables as ``comparisons.md``, ``comparisons.html`` and ``comparisons.tex`` (labels
    ``{prefix}comparisons-{question}``)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    tables = comparison_tables(comparisons, level, catalog)
    paths = [out_dir / f"comparisons.{ext}" for ext in ("csv", "md", "tex", "html")]
    comparisons[[*COMPARISON_COLUMNS, *EXTRA_COLUMNS]].to_csv(paths[0], index=False)
    paths[1].write_text("\n".join(t.to_markdown() for t in tables) or "No comparisons were tested.\n", encoding="utf-8")
    latex = "\n".join(t.to_latex(label_prefix) for t in tables) or "% No comparisons were tested.\n"
    paths[2].write_text(latex, encoding="utf-8")
    body = "".join(t.html_body() for t in tables) or "<p>No comparisons were tested.</p>"
    paths[3].write_text(html_page("Paired comparisons", body), encoding="utf-8")
    return paths


def _verdict_cell(row: dict | None, metric: str) -> str:
    if row is None:
        return "–"
    return f"{fmt_difference(metric, row['diff'], row['ci_low'], row['ci_high'])} {row['verdict']}"


def verdict_table(
    comparisons: pd.DataFrame, methods: Sequence[str], references: Sequence[str], metric: str,
    catalog: MethodCatalog | None = None,
) -> Table | None:
    """Per method, its difference to each reference on ``metric`` with interval and verdict; for ``report.md``
    only (its LaTeX rows are the text rows: it is never written as ``.tex``)."""
    method_label = (catalog or MethodCatalog()).label
    rows = []
    for method in methods:
        found = [against(comparisons, method, reference, metric) for reference in references]
        if any(row is not None for row in found):
            rows.append([method_label(method)] + [_verdict_cell(row, metric) for row in found])
    if not rows:
        return None
    header = ["Method"] + [f"vs {method_label(r)}" for r in references]
    return Table(name="verdicts", caption=f"Verdicts on {metric_name(metric)}", text_header=header,
                 latex_header=header, text_rows=rows, latex_rows=rows, data=pd.DataFrame(rows, columns=header))


@table("verdicts", section="results", rank=-1, written=False, needs=("comparisons",), caption="Verdicts on the "
       "headline metric: per method, its difference to each reference with its {level}% interval and the verdict.")
def _verdicts(report: ReportContext) -> Table | None:
    references = [r for r in report.headline_references if r in report.methods]
    return verdict_table(report.comparisons, report.methods, references, HEADLINE, report.catalog)


@table("comparisons", section="results", needs=("comparisons",), caption="Every tested hypothesis of the declared "
       "questions (report.comparisons), each (method, reference) pair once per question: the difference method − "
       "reference with its {level}% t interval (clusters of one teacher and one tuning draw as units, or seeds "
       "with one cluster; the test sample's variance added), the t-test of the same statistic, its Holm adjustment "
       "within the question, the TOST equivalence test against {reference} (Holm over the question's equivalence "
       "tests) and the verdict: better, worse, equivalent or inconclusive. Inconclusive is not evidence of no "
       "difference. Machine-readable: tables/comparisons.csv.")
def _comparisons(report: ReportContext) -> list[Path]:
    return write_comparisons(report.comparisons, report.tables, level=report.level, label_prefix=report.label_prefix,
                             catalog=report.catalog)
