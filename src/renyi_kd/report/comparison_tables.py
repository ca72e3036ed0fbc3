"""Tables rendered from the comparisons table (``tables/comparisons.csv``, :mod:`renyi_kd.report.inference`).

- ``comparisons``: one table per declared family (one ``table`` float each in ``comparisons.tex``, one after
  the other in ``comparisons.md``): method, reference, n, difference with its interval, p, Holm-adjusted p,
  Holm-adjusted TOST p and the verdict. Its CSV is the comparisons table itself.
- the verdict table of ``report.md``: per method, its difference to each reference with interval and verdict.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from renyi_kd.report.formatting import Table, fmt_p, html_page, is_missing, label_safe, latex_escape
from renyi_kd.report.inference import COMPARISON_COLUMNS, EXTRA_COLUMNS, against
from renyi_kd.report.methods import method_label
from renyi_kd.report.tables import METRIC_COLUMNS

__all__ = ["comparison_tables", "fmt_difference", "fmt_margin", "metric_name", "verdict_table", "write_comparisons"]

_NAMES = {"test_acc": "test accuracy", "test_nll": "NLL", "test_ece": "ECE", "agreement": "agreement with the teacher",
          "fidelity_kl": "KL(teacher‖student)"}  # fmt: skip


def metric_name(metric: str) -> str:
    return _NAMES.get(metric, metric)


def _scale(metric: str) -> tuple[float, int, str]:
    """Factor, decimals and unit of a difference: percentage points for fractions, else the metric's units."""
    column = METRIC_COLUMNS.get(metric)
    if column is None:
        return 1.0, 3, ""
    return column.scale, column.decimals, " pp" if column.scale == 100 else ""


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


def _family_table(name: str, rows: pd.DataFrame, level: float) -> Table:
    metric = rows["metric"].iloc[0]
    numbers = [
        [str(int(row.n)), fmt_difference(metric, row.diff, row.ci_low, row.ci_high), fmt_p(row.p),
         fmt_p(row.p_adjusted), "–" if is_missing(row.margin) else fmt_p(row.p_tost_adjusted), row.verdict]
        for row in rows.itertuples()
    ]  # fmt: skip
    pairs = list(zip(rows["method"], rows["reference"]))
    text_rows = [[method_label(m), method_label(r), *cells] for (m, r), cells in zip(pairs, numbers)]
    latex_rows = [
        [method_label(m, "latex"), method_label(r, "latex"), *map(latex_escape, cells)]
        for (m, r), cells in zip(pairs, numbers)
    ]
    margins = rows["margin"].dropna()
    margin = f"within {fmt_margin(metric, margins.iloc[0])}" if len(margins) else "not run (no margin for this metric)"
    notes = [
        f"Family {name}: {metric_name(metric)}, {len(rows)} hypotheses. Difference: method − reference with its "
        f"{100 * level:g}% bootstrap interval over repeats, seeds and test images; p: paired t-test over the n "
        "paired runs, Holm-adjusted within the family.",
        f"TOST equivalence {margin}, Holm-adjusted over the family's equivalence tests.",
    ]
    return Table(
        name=f"comparisons-{label_safe(name)}",
        caption=f"Paired comparisons, family {name} ({metric_name(metric)})",
        text_header=["Method", "Reference", "n", "Difference [CI]", "p", "p (Holm)", "TOST p (Holm)", "Verdict"],
        latex_header=["Method", "Reference", "$n$", "Difference [CI]", "$p$", "$p$ (Holm)", "TOST $p$", "Verdict"],
        text_rows=text_rows,
        latex_rows=latex_rows,
        data=rows,
        notes=notes,
        align="llrrrrrl",
    )


def comparison_tables(comparisons: pd.DataFrame, level: float) -> list[Table]:
    """One :class:`Table` per family, in the order of ``comparisons``."""
    return [_family_table(str(name), rows, level) for name, rows in comparisons.groupby("family", sort=False)]


def write_comparisons(comparisons: pd.DataFrame, out_dir: Path, *, level: float, label_prefix: str) -> list[Path]:
    """``comparisons.csv`` (the contract: :data:`COMPARISON_COLUMNS`, then :data:`EXTRA_COLUMNS`), and the
    per-family tables as ``comparisons.md``, ``comparisons.html`` and ``comparisons.tex`` (labels
    ``{prefix}comparisons-{family}``)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    tables = comparison_tables(comparisons, level)
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
    comparisons: pd.DataFrame, methods: Sequence[str], references: Sequence[str], metric: str
) -> Table | None:
    """Per method, its difference to each reference on ``metric`` with interval and verdict; for ``report.md``
    only (its LaTeX rows are the text rows: it is never written as ``.tex``)."""
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
