"""The README's "a new family / metric / dataset / report figure" examples run as printed and register what they say."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def example(lead: str) -> str:
    """The first Python block after the paragraph that starts with ``lead``."""
    start = README.index(lead)
    return re.search(r"```python\n(.*?)```", README[start:], flags=re.S).group(1)


def _family() -> Callable[[], None]:
    from renyi_kd.losses import FAMILIES, unregister_family

    assert "hellinger" in FAMILIES
    return lambda: unregister_family("hellinger")


def _metric() -> Callable[[], None]:
    import torch

    from renyi_kd.metrics import METRICS, evaluate, unregister_metric

    assert evaluate(torch.tensor([[2.0, 0.0, 0.0]]), torch.tensor([0]))["top_margin"] > 0
    assert "top_margin" in METRICS
    return lambda: unregister_metric("top_margin")


def _dataset() -> Callable[[], None]:
    from renyi_kd.data import DATASETS, unregister_dataset

    assert DATASETS["stripes"].sizes().num_classes == 3
    return lambda: unregister_dataset("stripes")


def _figure() -> Callable[[], None]:
    from renyi_kd.report.artefacts import ARTEFACTS, unregister_artefact

    assert ("figure", "accuracy_histogram") in ARTEFACTS
    return lambda: unregister_artefact("figure", "accuracy_histogram")


EXAMPLES = {
    "**A new family is one function and one entry**": _family,
    "**A new metric is one function and one record**": _metric,
    "**A new dataset is one loader function and one record**": _dataset,
    "**A new report figure is one function and one decorator**": _figure,
}


@pytest.mark.parametrize("lead", list(EXAMPLES))
def test_the_readme_example_runs_and_registers_its_entry(lead: str) -> None:
    exec(compile(example(lead), f"README example: {lead}", "exec"), {})
    unregister = EXAMPLES[lead]()  # checks what the example registered, then removes it for the other tests
    unregister()
