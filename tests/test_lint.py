"""The CI lint check: which `snakemake --lint` findings the README answers."""

from __future__ import annotations

import importlib.util
import sys

from tiny_config import ROOT

_spec = importlib.util.spec_from_file_location("lint", ROOT / "workflow" / "scripts" / "lint.py")
lint = sys.modules["lint"] = importlib.util.module_from_spec(_spec)  # dataclasses look their module up
_spec.loader.exec_module(lint)

README = """# Project
### Lint
Findings answered by design:

- *Specify a conda environment*: one environment serves all rules.
- *Mixed rules and functions* in `workflow/rules/common.smk`: helpers only.
- a bullet that answers nothing
### Layout
- *Not an answer*: another section.
"""


def test_an_answer_covers_findings_by_title_and_optionally_by_file() -> None:
    answers = lint.answers(README)
    assert [a.title for a in answers] == ["Specify a conda environment", "Mixed rules and functions"]

    def answered(where: str, title: str) -> bool:
        return any(a.answers(lint.Finding(where, title)) for a in answers)

    assert answered("rule tune (line 3, workflow/rules/tune.smk)", "Specify a conda environment or container for each rule.")
    assert answered("snakefile workflow/rules/common.smk", "Mixed rules and functions in same snakefile.")
    assert not answered("snakefile workflow/rules/tune.smk", "Mixed rules and functions in same snakefile.")
    assert not answered("snakefile Snakefile", "Not an answer")


def test_the_readme_answers_the_findings_it_lists() -> None:
    assert len(lint.answers((ROOT / "README.md").read_text())) >= 4
