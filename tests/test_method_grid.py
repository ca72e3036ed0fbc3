"""Grids of methods as one config entry (renyi_kd.method_grid) and questions over them: every cell is a method
validated like any other, and a templated reference pairs each cell with the reference at its own settings."""

from __future__ import annotations

import re

import pytest
import yaml

from renyi_kd.config import ConfigError, method_from_config, validate_config
from renyi_kd.method_grid import cell_fields, expand_methods, fill
from renyi_kd.report.questions import declare_hypotheses
from renyi_kd.report.settings import report_settings
from tiny_config import ROOT

ALPHAS, TEMPERATURES = [0, 0.25, 1, 5], [1, 4.0, 16]
GRID = {"renyi-a{alpha}-T{T}": {"divergence": "renyi", "alpha": ALPHAS, "T": TEMPERATURES, "beta": 0.5}}
QUESTION = {"metric": "test_acc", "methods": ["renyi-a{alpha}-T{T}"], "references": ["renyi-a1-T{T}"]}


def config(methods: dict | None = None, comparisons: list | None = None, **report) -> dict:
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    config["methods"] = {"ce": None, **(GRID if methods is None else methods)}
    config["report"] = {"comparisons": comparisons or [QUESTION], "equivalence_reference": "renyi-a1-T{T}", **report}
    return config


def test_a_grid_entry_is_one_method_per_cell_in_the_entrys_order_with_the_shared_settings() -> None:
    validated = validate_config(config())
    cells = [f"renyi-a{a:g}-T{t:g}" for a in ALPHAS for t in TEMPERATURES]
    assert list(validated["methods"]) == ["ce", *cells]
    for alpha in ALPHAS:
        for T in TEMPERATURES:
            method = method_from_config(validated, f"renyi-a{alpha:g}-T{T:g}")
            assert (method.divergence, method.params["alpha"], method.T, method.beta) == ("renyi", alpha, T, 0.5)
            assert method.label == f"renyi-a{alpha:g}-T{T:g}"  # cells are told apart in tables and figures
    assert validate_config(validated)["methods"] == validated["methods"]  # validating twice changes nothing


def test_names_are_the_same_however_yaml_typed_the_numbers_and_read_back_one_way() -> None:
    assert fill("renyi-a{alpha}-T{T}", {"alpha": 2.0, "T": 16}) == fill("renyi-a{alpha}-T{T}", {"alpha": 2, "T": 16.0})
    assert fill("w{wd}", {"wd": 1e-5}) == "w1e-05" and fill("n{n}", {"n": 1234567}) != fill("n{n}", {"n": 1234568})
    assert cell_fields("w{wd}-T{T}", "w1e-05-T4") == {"wd": "1e-05", "T": "4"}
    assert cell_fields("renyi-a{alpha}-T{T}", "renyi-a0.5-T4-hinton") is None  # another grid's cell does not fit
    assert fill("x-{scaling}-a{alpha}", {"scaling": "thesis", "alpha": 0.5}) == "x-thesis-a0.5"
    assert cell_fields("renyi-a{alpha}-T{T}", "renyi-a0.25-T16") == {"alpha": "0.25", "T": "16"}
    assert cell_fields("renyi-a{alpha}-T{T}", "kl") is None and cell_fields("kl", "kl") == {}


@pytest.mark.parametrize(
    ("methods", "key"),
    [
        ({"renyi-a{alpha}": {"divergence": "renyi", "alpha": 2}}, "methods.renyi-a{alpha}.alpha"),
        ({"renyi-a{alpha}": {"divergence": "renyi", "alpha": []}}, "methods.renyi-a{alpha}.alpha"),
        ({"renyi-a{alpha}": None}, "methods.renyi-a{alpha}"),
        ({"renyi-a{alpha}": {"divergence": "renyi", "alpha": [1, 1.0]}}, "methods.renyi-a{alpha}"),
        ({"renyi-a2": None, "renyi-a{alpha}": {"divergence": "renyi", "alpha": [2, 5]}}, "methods.renyi-a{alpha}"),
        ({"renyi-a{alpha}": {"divergence": "renyi", "alpha": [0.5, -1]}}, "methods.renyi-a-1.alpha"),  # the cell, by its name
        ({"kd-{scaling}": {"divergence": "renyi", "scaling": ["thesis", "a-b"]}}, "methods.kd-{scaling}.scaling"),
        ({"r{alpha:g}": {"divergence": "renyi", "alpha": [1, 2]}}, "methods.r{alpha:g}"),
        ({"r{alpha}{alpha}": {"divergence": "renyi", "alpha": [1, 2]}}, "methods.r{alpha}{alpha}"),
        ({"r{}": {"divergence": "renyi", "": [1, 2]}}, "methods.r{}"),
    ],
)
def test_a_grid_that_cannot_expand_is_refused_naming_its_key(methods: dict, key: str) -> None:
    with pytest.raises(ConfigError) as error:
        validate_config(config(methods, comparisons=[{"metric": "test_acc", "references": ["ce"]}],
                               equivalence_reference="ce"))  # fmt: skip
    assert error.value.key == key


def test_a_templated_reference_pairs_every_cell_with_the_reference_at_its_own_temperature() -> None:
    validated = validate_config(config())
    settings = report_settings(validated["report"])
    hypotheses, notes = declare_hypotheses(settings.questions, list(validated["methods"]))
    pairs = {(h.method, h.reference) for h in hypotheses}
    expected = {(f"renyi-a{a:g}-T{t:g}", f"renyi-a1-T{t:g}") for a in ALPHAS if a != 1 for t in TEMPERATURES}
    assert pairs == expected and len(hypotheses) == len(expected) and not notes
    assert {h.question for h in hypotheses} == {"test_acc"}  # one Holm family over the grid
    assert all(settings.is_equivalence_reference(h.reference) for h in hypotheses)
    assert not settings.is_equivalence_reference("renyi-a5-T4") and not settings.is_equivalence_reference("ce")


def test_a_cell_without_runs_is_a_note_not_a_test() -> None:
    settings = report_settings(validate_config(config())["report"])
    hypotheses, notes = declare_hypotheses(settings.questions, ["ce", "renyi-a0-T1", "renyi-a0-T4", "renyi-a1-T4"])
    assert [(h.method, h.reference) for h in hypotheses] == [("renyi-a0-T4", "renyi-a1-T4")]
    assert len(notes) == 1 and "renyi-a1-T1" in notes[0]


@pytest.mark.parametrize(
    ("question", "key", "words"),
    [
        ({**QUESTION, "methods": None}, "methods", "need methods templates"),
        ({**QUESTION, "references": ["renyi-a1-T{T!r}"]}, "references", "plain setting name"),
        ({**QUESTION, "methods": ["renyi-a{alpha-T{T}"]}, "methods", "not a template"),
        ({**QUESTION, "methods": ["renyi-b{alpha}-T{T}"]}, "methods", "fits no configured method"),
        ({**QUESTION, "references": ["renyi-a1-T{T}-b{beta}"]}, "references", "['beta']"),
        ({**QUESTION, "references": ["renyi-a{alpha}-T2"]}, "references", "not configured methods"),
    ],
)
def test_a_templated_question_that_names_no_configured_pair_is_refused(question: dict, key: str, words: str) -> None:
    with pytest.raises(ConfigError, match=words) as error:
        validate_config(config(comparisons=[question]))
    assert error.value.key == f"report.comparisons.0.{key}"


def test_an_equivalence_reference_template_must_fit_a_configured_method() -> None:
    with pytest.raises(ConfigError) as error:
        validate_config(config(equivalence_reference="renyi-a2-T{T}"))
    assert error.value.key == "report.equivalence_reference"


def test_expansion_leaves_plain_entries_alone() -> None:
    assert expand_methods({"ce": None, "kl": {"T": 2}}) == {"ce": None, "kl": {"T": 2}}


def test_the_readme_grid_example_validates_and_asks_nine_hypotheses() -> None:
    readme = (ROOT / "README.md").read_text()
    start = readme.index("**Grids of methods.**")
    block = yaml.safe_load(re.search(r"```yaml\n(.*?)```", readme[start:], flags=re.S).group(1))
    base = yaml.safe_load((ROOT / "config.yaml").read_text())
    validated = validate_config({**base, "methods": block["methods"], "report": block["report"]})
    assert len(validated["methods"]) == 12 and "renyi-a0-T1" in validated["methods"]
    hypotheses, _ = declare_hypotheses(report_settings(validated["report"]).questions, list(validated["methods"]))
    assert len(hypotheses) == 9
