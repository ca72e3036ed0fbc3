"""Do two runs of the same question agree? A measurement across runs, not part of the workflow.

Reads two ``comparisons.csv`` (for example the default run and a run that differs only in its teacher and
sampler seeds), matches their hypotheses (metric, method, reference) and counts the verdicts that agree, those
that moved between a claim and "inconclusive", and the opposite ones (better in one run, worse in the other).
It also counts the hypotheses where one run's estimate lies outside the other run's interval.

Usage: .venv/bin/python bench/verdict_agreement.py A/comparisons.csv B/comparisons.csv
"""

from __future__ import annotations

import argparse

import pandas as pd

KEYS = ["metric", "method", "reference"]
OPPOSITE = {("better", "worse"), ("worse", "better")}


def agreement(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    both = a.merge(b, on=KEYS, suffixes=("_a", "_b"))
    both["same"] = both["verdict_a"] == both["verdict_b"]
    both["opposite"] = [(x, y) in OPPOSITE for x, y in zip(both["verdict_a"], both["verdict_b"])]
    both["outside"] = ~both["diff_a"].between(both["ci_low_b"], both["ci_high_b"]) | ~both["diff_b"].between(
        both["ci_low_a"], both["ci_high_a"])
    return both


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("a")
    parser.add_argument("b")
    args = parser.parse_args()
    both = agreement(pd.read_csv(args.a), pd.read_csv(args.b))
    changed = both[~both["same"]]
    print(f"{int(both['same'].sum())} of {len(both)} verdicts agree; {int(both['opposite'].sum())} opposite; "
          f"{int(both['outside'].sum())} estimates outside the other run's interval")
    for metric, rows in both.groupby("metric", sort=False):
        print(f"  {metric}: {int(rows['same'].sum())} of {len(rows)} agree")
    if not changed.empty:
        print(changed[KEYS + ["verdict_a", "verdict_b", "diff_a", "diff_b"]].to_string(index=False))


if __name__ == "__main__":
    main()
