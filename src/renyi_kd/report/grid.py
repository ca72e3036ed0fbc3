"""Questions over a grid of methods (:mod:`renyi_kd.method_grid`): every cell against the reference at its own
settings, read back into the grid's axes, drawn as a heatmap and answered in words.

The *varied* axis is the methods template's placeholder that the reference template fixes (``alpha`` in
``renyi-a{alpha}-T{T}`` against ``renyi-a1-T{T}``); the *matched* axis is the one both share (``T``).

- :func:`grid_comparisons`: the comparisons of one grid question with a column per axis.
- figure ``grid_vs_reference``: a heatmap of the headline metric's differences (rows: the varied axis, columns:
  the matched axis), each cell annotated with its difference and verdict.
- :func:`grid_answer`: per value of the matched axis, which cells differ from their reference by more than the
  equivalence margin, which are equivalent within it and which are neither shown. "More than the margin" is a
  minimum-effect test (Murphy and Myors 1999) of ``|diff| <= margin`` on the comparison's standard error and
  degrees of freedom, two-sided as the verdicts' test of no difference is, Holm-adjusted over the question's
  cells: it keeps the family-wise level, and a cell beyond the margin is always also better or worse.
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from renyi_kd.method_grid import cell_fields, is_template, placeholders
from renyi_kd.metrics import HEADLINE, METRICS
from renyi_kd.report.artefacts import figure
from renyi_kd.report.comparison_tables import fmt_difference, fmt_margin, metric_name
from renyi_kd.report.context import ReportContext
from renyi_kd.report.figures import FIG_WIDTH, figure_style, save_figure
from renyi_kd.report.settings import Question
from renyi_kd.report.stats import holm_adjust

__all__ = ["beyond_margin", "grid_answer", "grid_comparisons", "grid_heatmap", "grid_questions"]

MARKS = {"better": "+", "worse": "−", "equivalent": "≈", "inconclusive": "?"}


def grid_questions(questions: tuple[Question, ...], metric: str = HEADLINE) -> list[Question]:
    """The questions on ``metric`` with one methods template and one reference template, with one varied and one
    matched axis."""
    return [q for q in questions if q.metric == metric and len(q.references) == 1 and is_template(q.references[0])
            and q.methods and len(q.methods) == 1 and len(_axes(q)) == 2]  # fmt: skip


def _axes(question: Question) -> tuple[str, ...]:
    """(varied, matched) placeholders of a grid question, or () where its templates have another shape."""
    shared = placeholders(question.references[0])
    varied = [p for p in placeholders(question.methods[0]) if p not in shared]
    return (varied[0], shared[0]) if len(varied) == 1 and len(shared) == 1 else ()


def _number(text: str) -> float | str:
    try:
        return float(text)
    except ValueError:
        return text


def grid_comparisons(comparisons: pd.DataFrame, question: Question) -> pd.DataFrame:
    """The rows of ``question`` with its varied and matched axes as columns (numbers where the values are)."""
    varied, matched = _axes(question)
    rows = comparisons[comparisons["family"] == question.name].copy()
    fields = [cell_fields(question.methods[0], m) for m in rows["method"]]
    rows[varied] = [_number(f[varied]) for f in fields]
    rows[matched] = [_number(f[matched]) for f in fields]
    rows = rows.sort_values([matched, varied]).reset_index(drop=True)
    rows.attrs.update(varied=varied, matched=matched)
    return rows


@figure("grid_vs_reference", section="results", rank=-2, needs=("comparisons",), caption="Test accuracy of every "
        "cell of the grid minus its reference at the same setting (the declared grid question), in percentage "
        "points; the mark is the verdict (+ better, − worse, ≈ equivalent, ? inconclusive) with the {level}% "
        "intervals of comparisons.csv.", applies=lambda report: bool(grid_questions(report.settings.questions)))
def _grid_vs_reference(report: ReportContext) -> list[Path] | None:
    question = grid_questions(report.settings.questions)[0]  # the first grid question on the headline metric
    return grid_heatmap(grid_comparisons(report.comparisons, question), report.figures)


def grid_heatmap(rows: pd.DataFrame, out_dir: Path, *, metric: str = HEADLINE) -> list[Path] | None:
    """Heatmap of ``diff`` (in the metric's shown units) over (varied, matched), annotated with diff and verdict."""
    if rows.empty:
        return None
    varied, matched = rows.attrs["varied"], rows.attrs["matched"]
    scale = METRICS[metric].scale
    values = rows.pivot(index=varied, columns=matched, values="diff") * scale
    marks = rows.assign(text=[f"{scale * d:+.1f}\n{MARKS[v]}" for d, v in zip(rows["diff"], rows["verdict"])])
    text = marks.pivot(index=varied, columns=matched, values="text").reindex_like(values)
    limit = float(np.nanmax(np.abs(values.to_numpy()))) or 1.0
    with figure_style():
        fig, ax = plt.subplots(figsize=(FIG_WIDTH, 0.6 + 0.38 * len(values)), constrained_layout=True)
        sns.heatmap(values, annot=text.fillna(""), fmt="", cmap="RdBu", vmin=-limit, vmax=limit, center=0,
                    linewidths=0.5, linecolor="white", annot_kws={"fontsize": 5.5},
                    xticklabels=[_show(v) for v in values.columns], yticklabels=[_show(v) for v in values.index],
                    cbar_kws={"label": f"{metric_name(metric)} − reference ({_unit(metric)})"},
                    ax=ax)  # fmt: skip
        ax.set_xlabel(matched)
        ax.set_ylabel(varied)
        ax.tick_params(axis="y", labelrotation=0)
        return save_figure(fig, out_dir, "grid_vs_reference")


def beyond_margin(rows: pd.DataFrame, margin: float, significance: float) -> pd.Series:
    """Per cell: its difference to its reference exceeds ``margin`` in size, Holm-adjusted over the cells."""
    from scipy import stats

    excess = (rows["diff"].abs() - margin) / rows["se"]
    p = pd.Series(np.minimum(2 * stats.t.sf(excess, rows["df"]), 1.0), index=rows.index).where(rows["se"] > 0)
    return pd.Series(holm_adjust(p.to_numpy()) < significance, index=rows.index)


def grid_answer(rows: pd.DataFrame, margin: float | None, significance: float, *, metric: str = HEADLINE
                ) -> str | None:
    """Per value of the matched axis: the cells shown to differ from their reference by more than ``margin``
    (:func:`beyond_margin`), those shown equivalent within it, and how many are neither; and the values of the
    matched axis where some cell differs by more than the margin."""
    if rows.empty or margin is None:
        return None
    varied, matched = rows.attrs["varied"], rows.attrs["matched"]
    beyond = beyond_margin(rows, margin, significance)
    parts, where = [], []
    for value, group in rows.groupby(matched, sort=True):
        out = group[beyond.loc[group.index]]
        listed = ", ".join(f"{varied} {_show(r[varied])} {fmt_difference(metric, r['diff'])}" for _, r in out.iterrows())
        equivalent = [_show(v) for v in group.loc[group["verdict"] == "equivalent", varied]]
        parts.append(f"{matched} = {_show(value)}: " + (f"beyond the margin {listed}" if listed else "none beyond the margin")
                     + (f"; equivalent {varied} {', '.join(equivalent)}" if equivalent else "")
                     + f"; {len(group) - len(out) - len(equivalent)} neither shown")  # fmt: skip
        where += [_show(value)] if listed else []
    head = (f"**Where the {varied} changes {metric_name(metric)} by more than the margin "
            f"({fmt_margin(metric, margin)})**, each cell against its reference at the same {matched} (a test of a "
            f"difference beyond the margin, Holm-adjusted over the {len(rows)} cells): ")
    verdict = (f"at {matched} = {', '.join(where)}." if where else f"at no {matched} of the grid.")
    return head + verdict + " " + "; ".join(parts) + "."


def _show(value: float | str) -> str:
    return f"{value:g}" if isinstance(value, float) and math.isfinite(value) else str(value)


def _unit(metric: str) -> str:
    """The unit of a difference: percentage points for a metric shown in percent."""
    unit = METRICS[metric].unit
    return "pp" if unit == "%" else unit or "units"
