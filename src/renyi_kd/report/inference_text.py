"""The sentences of ``report.md`` that state the inference: questions, method, verdicts, power, tuning budget.

Verdicts are said with their own words (better, worse, equivalent, inconclusive); an inconclusive comparison
is never described as "no difference". The power sentence gives the smallest difference the paired t-test
could detect at the first Holm step, next to the observed differences and the intervals' half-width.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from renyi_kd.report.bootstrap import SEEDS_ONLY
from renyi_kd.metrics import HEADLINE
from renyi_kd.report.comparison_tables import fmt_difference, fmt_margin, metric_name
from renyi_kd.report.figures import objective_axis
from renyi_kd.report.inference import VERDICTS, against
from renyi_kd.report.methods import MethodCatalog
from renyi_kd.report.settings import ReportSettings
from renyi_kd.report.stats import minimum_detectable_difference

__all__ = [
    "INCONCLUSIVE_MEANS",
    "budget_paragraph",
    "questions_paragraph",
    "method_paragraph",
    "other_metrics_sentence",
    "power_sentence",
    "verdict_paragraph",
]

INCONCLUSIVE_MEANS = (
    "Inconclusive means that these data show neither a difference nor that the difference is smaller than the "
    "margin: it is not evidence of no difference."
)


def questions_paragraph(comparisons: pd.DataFrame, settings: ReportSettings, catalog: MethodCatalog) -> str:
    """The declared questions (``report.comparisons``) and how many hypotheses each holds."""
    parts = []
    for spec in settings.questions:
        rows = comparisons[comparisons["family"] == spec.name]
        who = "every method" if spec.methods is None else ", ".join(catalog.label(m) for m in spec.methods)
        refs = " and ".join(catalog.label(r) for r in spec.references)
        parts.append(f"{spec.name} ({metric_name(spec.metric)}; {who} against {refs}; {len(rows)} tested)")
    return (
        "Declared questions (`report.comparisons`), each Holm-adjusted on its own and holding every pair once (two "
        "references are compared a single time, against the one listed later): " + "; ".join(parts) + "."
    )


def method_paragraph(comparisons: pd.DataFrame, settings: ReportSettings, catalog: MethodCatalog) -> str:
    """How p-values, intervals and verdicts are computed, with the settings in force."""
    level = 100 * (1 - settings.significance)
    a = f"{settings.significance:g}"
    seeds_only = bool((comparisons["interval"] == SEEDS_ONLY).any())
    margins = ", ".join(f"{metric_name(m)} {fmt_margin(m, d)}" for m, d in settings.equivalence_margin.items())
    text = (
        f"Each comparison pairs the final runs of two methods by tuning repeat and seed (n counts the pairs). p: "
        f"two-sided paired t-test over the pairs, Holm-adjusted within its question. Interval: {level:g}% percentile "
        f"bootstrap ({settings.resamples} resamples, seed {settings.bootstrap_seed}) that resamples tuning repeats, "
        "then seeds within them, then test images, one image draw shared by every run of every method (the test set "
        "is the same for all of them), so it carries the test sample's noise as well as the seeds'. Equivalence: "
        f"TOST against {catalog.label(settings.equivalence_reference)} within a margin ({margins or 'none set'}), "
        f"Holm-adjusted over the question's equivalence tests. Verdict, at level {a}: better or worse when the "
        "adjusted p is below it and the interval excludes 0; equivalent when the adjusted TOST p is below it and the "
        "interval lies inside the margin; inconclusive otherwise. Each kind of claim (a difference, an equivalence) "
        f"has a family-wise error of at most {a}."
    )
    if seeds_only:
        text += " Some intervals resample seeds only (no per-image predictions; column `interval` and Notes)."
    return text


def _listing(rows: Sequence[dict], metric: str, catalog: MethodCatalog) -> str:
    if not rows:
        return "none"
    return ", ".join(
        f"{catalog.label(r['method'])} {fmt_difference(metric, r['diff'], r['ci_low'], r['ci_high'])}" for r in rows
    )


def verdict_paragraph(
    comparisons: pd.DataFrame, methods: Sequence[str], reference: str, metric: str, settings: ReportSettings,
    catalog: MethodCatalog,
) -> str:
    """Every method against ``reference`` on ``metric``, grouped by verdict (difference [interval])."""
    rows = [row for m in methods if m != reference and (row := against(comparisons, m, reference, metric))]
    ref = catalog.label(reference)
    if not rows:
        return f"No {metric_name(metric)} comparison against {ref} was tested."
    margin = settings.margin(metric)
    if reference == settings.equivalence_reference and margin is not None:
        setting = f"equivalence margin {fmt_margin(metric, margin)}"
    else:
        setting = "no equivalence test"
    groups = "; ".join(f"{word}: {_listing([r for r in rows if r['verdict'] == word], metric, catalog)}"
                       for word in VERDICTS)
    return f"**{metric_name(metric).capitalize()} against {ref}** ({setting}): {groups}."


def power_sentence(comparisons: pd.DataFrame, settings: ReportSettings, catalog: MethodCatalog, metric: str = HEADLINE
                   ) -> str | None:
    """The minimum difference to the equivalence reference detectable with ``settings.power``, next to the
    observed differences and the intervals' half-width; None when nothing was tested against it."""
    reference = settings.equivalence_reference
    involved = (comparisons["method"] == reference) | (comparisons["reference"] == reference)
    rows = comparisons[(comparisons["metric"] == metric) & involved]
    tested = rows[rows["p"].notna()]
    if tested.empty:
        return None
    question_tests = int(comparisons.loc[comparisons["family"].isin(tested["family"]), "p"].notna().sum())
    level = settings.significance / question_tests
    n = int(tested["n"].median())
    pooled = math.sqrt(float(np.mean(tested["sd_diff"] ** 2)))
    detectable = minimum_detectable_difference(pooled, n, level, settings.power)
    others = [r.reference if r.method == reference else r.method for r in tested.itertuples()]
    diffs = [against(comparisons, other, reference, metric)["diff"] for other in others]
    half = float(np.median((tested["ci_high"] - tested["ci_low"]) / 2))
    ref = catalog.label(reference)
    return (
        f"Power: with n = {n} pairs and Holm over {question_tests} tests (a lone real difference must pass level "
        f"{settings.significance:g}/{question_tests} = {level:.4f}), the paired t-test detects a difference in "
        f"{metric_name(metric)} to {ref} of {fmt_difference(metric, detectable).lstrip('+')} with "
        f"{100 * settings.power:g}% power at the observed paired spread (pooled SD "
        f"{fmt_difference(metric, pooled).lstrip('+')}); the intervals, which also carry the test sample's noise, "
        f"have a median half-width of {fmt_difference(metric, half).lstrip('+')}. The observed differences to {ref} "
        f"range from {fmt_difference(metric, min(diffs))} to {fmt_difference(metric, max(diffs))}."
    )


def other_metrics_sentence(
    comparisons: pd.DataFrame, methods: Sequence[str], reference: str, metrics: Sequence[str], catalog: MethodCatalog
) -> str | None:
    """The claims (better, worse, equivalent) against ``reference`` on the other metrics; None if there are none."""
    parts = []
    for metric in metrics:
        rows = [row for m in methods if m != reference and (row := against(comparisons, m, reference, metric))]
        claims = [f"{catalog.label(r['method'])} {r['verdict']}" for r in rows if r["verdict"] != "inconclusive"]
        if rows:
            undecided = len(rows) - len(claims)
            parts.append(f"{metric_name(metric)}: " + (", ".join(claims) if claims else "no claim")
                         + (f" ({undecided} inconclusive)" if undecided else ""))  # fmt: skip
    if not parts:
        return None
    return f"Other metrics against {catalog.label(reference)}: " + "; ".join(parts) + "."


def budget_paragraph(budget: pd.DataFrame, ranking: dict | None, objective: str, maximize: bool,
                     catalog: MethodCatalog) -> str | None:
    """The tuning-budget curves in words: their range at k = 1 and k = K, and whether the ranking changes."""
    if budget.empty:
        return None
    label, scale = objective_axis(objective)
    label = label.replace(" (%)", "")
    unit = "%" if scale == 100 else ""
    k_max = int(budget.groupby("method")["k"].max().min())
    ends = []
    for k in sorted({1, k_max}):
        at = budget[budget["k"] == k].set_index("method")["expected_best"]
        best, worst = (at.idxmax(), at.idxmin()) if maximize else (at.idxmin(), at.idxmax())
        ends.append(f"at k = {k} from {scale * at[worst]:.2f}{unit} ({catalog.label(worst)}) to "
                    f"{scale * at[best]:.2f}{unit} ({catalog.label(best)})")  # fmt: skip
    text = (
        f"Expected best {label} after k trials (Dodge et al. 2019: the best of k of a study's judged trials drawn "
        "without replacement; a pruned trial enters with its last reported value, a failed one as its study's "
        "worst; tuning repeats are mixed with equal weight): " + "; ".join(ends) + "."
    )
    if ranking is None:
        return text
    if not ranking["swaps"]:
        return text + f" The ranking of methods is the same for every k from 1 to {ranking['k_max']}."
    first_leader, last_leader = ranking["leaders"][1], ranking["leaders"][ranking["k_max"]]
    ahead, behind, k = ranking["swaps"][0]
    leaders = (
        f"{catalog.label(first_leader)} leads at k = 1 and at k = {ranking['k_max']}" if first_leader == last_leader
        else f"the leader is {catalog.label(first_leader)} at k = 1 and {catalog.label(last_leader)} at k = "
        f"{ranking['k_max']}"
    )  # fmt: skip
    return text + (
        f" The ranking of methods changes with the budget: {len(ranking['swaps'])} pairs of methods swap order "
        f"(first at k = {k}: {catalog.label(behind)} overtakes {catalog.label(ahead)}); {leaders}."
    )
