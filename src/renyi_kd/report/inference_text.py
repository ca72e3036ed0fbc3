"""The sentences of ``report.md`` that state the inference: questions, method, scope, verdicts, power, tuning budget.

Verdicts are said with their own words (better, worse, equivalent, inconclusive); an inconclusive comparison
is never described as "no difference". The scope sentence says what the verdicts cover: how many clusters
(teachers x tuning draws) they rest on, and with one cluster that they hold for this teacher and this tuning draw.
The power sentence gives the smallest difference the test could detect at the first Holm step, next to the
observed differences and the intervals' half-width.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from renyi_kd.metrics import HEADLINE
from renyi_kd.report.comparison_tables import cluster_range, fmt_difference, fmt_margin, metric_name
from renyi_kd.report.figures import objective_axis
from renyi_kd.report.inference import CLUSTER, VERDICTS, against
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
    "scope_sentence",
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
    without_images = bool((~comparisons["interval"].str.endswith("+images")).any())
    margins = ", ".join(f"{metric_name(m)} {fmt_margin(m, d)}" for m, d in settings.equivalence_margin.items())
    text = (
        "Each comparison pairs the final runs of two methods by teacher, tuning repeat and seed (n counts the pairs). "
        "A cluster is one teacher and one tuning draw; with two or more clusters the unit of replication is the "
        "cluster (the difference is the mean of the clusters' mean paired differences, tested on the cluster means "
        "with G − 1 degrees of freedom), with one cluster it is the seed (the paired t-test over seeds). The test "
        "sample's variance is added from each test image's influence on the difference (the same images for every "
        "run), degrees of freedom by Welch–Satterthwaite. p: two-sided t-test of that statistic, Holm-adjusted "
        f"within its question; interval: its {level:g}% t interval. Equivalence: TOST on the same statistic against "
        f"{catalog.label(settings.equivalence_reference)} within a margin ({margins or 'none set'}), Holm-adjusted "
        f"over the question's equivalence tests. Verdict, at level {a}: better or worse when the adjusted p is below "
        "it; otherwise equivalent when the adjusted TOST p is below it; inconclusive otherwise. Nothing is "
        "resampled: no seed can change a verdict. Each kind of claim (a difference, an equivalence) has a "
        f"family-wise error of at most {a}."
    )
    if without_images:
        text += (" Some intervals leave out the test sample's variance (no per-image predictions; column `interval` "
                 "and Notes).")  # fmt: skip
    return text


def scope_sentence(comparisons: pd.DataFrame, runs: pd.DataFrame) -> str | None:
    """What the verdicts cover: the clusters (teachers x tuning draws) they rest on; None when nothing was tested."""
    if comparisons.empty:
        return None
    counts = [runs[c].nunique() if c in runs.columns else 1 for c in CLUSTER]
    design = " × ".join(f"{k} {name}{'s' if k != 1 else ''}" for k, name in zip(counts, ("teacher", "tuning draw")))
    if set(comparisons["clusters"]) == {1}:
        return (f"Scope: the runs form one cluster ({design}): every verdict holds for this teacher and this tuning "
                "draw, not for the methods in general; another teacher or another tuning draw may change it.")
    text = (f"Scope: each verdict rests on {cluster_range(comparisons)} clusters ({design}) as independent "
            "replicates, so it is about teachers and tuning draws like these, with seeds and test images nested in "
            "them.")
    if 1 in set(comparisons["clusters"]):
        text += " Comparisons with one cluster in common (column `scope`) hold for that teacher and draw only."
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
    if settings.is_equivalence_reference(reference) and margin is not None:
        setting = f"equivalence margin {fmt_margin(metric, margin)}"
    else:
        setting = "no equivalence test"
    groups = "; ".join(f"{word}: {_listing([r for r in rows if r['verdict'] == word], metric, catalog)}"
                       for word in VERDICTS)
    return f"**{metric_name(metric).capitalize()} against {ref}** ({setting}): {groups}."


def power_sentence(comparisons: pd.DataFrame, settings: ReportSettings, catalog: MethodCatalog, metric: str = HEADLINE
                   ) -> str | None:
    """The minimum difference to the equivalence reference detectable with ``settings.power`` (a t-test at the
    pooled standard error, test sample included, on the median degrees of freedom), next to the observed
    differences and the intervals' half-width; None when nothing was tested against it."""
    fits = settings.is_equivalence_reference
    involved = comparisons["method"].map(fits) | comparisons["reference"].map(fits)
    rows = comparisons[(comparisons["metric"] == metric) & involved]
    tested = rows[rows["p"].notna()]
    if tested.empty:
        return None
    question_tests = int(comparisons.loc[comparisons["family"].isin(tested["family"]), "p"].notna().sum())
    level = settings.significance / question_tests
    units, df = int(tested["units"].median()), float(tested["df"].median())
    # A t-test at the pooled standard error on the tests' median degrees of freedom (Welch-Satterthwaite's with
    # the test sample): as an SD over df + 1 units, which is what the noncentral-t solution takes.
    se = math.sqrt(float(np.mean(tested["se"] ** 2)))
    detectable = minimum_detectable_difference(se * math.sqrt(df + 1), df + 1, level, settings.power)
    diffs = [r.diff if fits(r.reference) else -r.diff for r in tested.itertuples()]  # each minus its reference
    half = float(np.median((tested["ci_high"] - tested["ci_low"]) / 2))
    ref = catalog.label(settings.equivalence_reference)
    unit = "clusters" if int(tested["clusters"].max()) >= 2 else "seeds"
    return (
        f"Power: with {units} {unit} as units of replication and Holm over {question_tests} tests (a lone real "
        f"difference must pass level {settings.significance:g}/{question_tests} = {level:.4f}), the test detects a "
        f"difference in {metric_name(metric)} to {ref} of {fmt_difference(metric, detectable).lstrip('+')} with "
        f"{100 * settings.power:g}% power at the observed standard error (pooled "
        f"{fmt_difference(metric, se).lstrip('+')}, test sample included, {df:.3g} degrees of freedom); the intervals "
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
