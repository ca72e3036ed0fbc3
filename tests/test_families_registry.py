"""The registry as the one list of families: records, parameters, labels, scalings, and adding a family."""

from __future__ import annotations

import math
import subprocess
import sys

import pytest
import torch
import torch.nn.functional as F

from renyi_kd.losses import (
    FAMILIES,
    LABEL_STYLES,
    SCALINGS,
    DistillationLoss,
    Family,
    Param,
    SearchRange,
    SoftTerm,
    divergence,
    kd_loss,
    register_family,
    unregister_family,
)

SOFT_TERM_KEYWORDS = {"beta", "temperature", "T", "scaling", "standardize", "label_smoothing", "divergence", "targets"}


@pytest.fixture
def pair() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(20)
    return torch.randn(4, 6, generator=g, dtype=torch.float64), torch.randn(4, 6, generator=g, dtype=torch.float64)


def hellinger(log_p: torch.Tensor, log_q: torch.Tensor, power: float) -> torch.Tensor:
    """A toy family: ``(1 - sum_i sqrt(p_i q_i)) ** power``."""
    return (1 - torch.exp(0.5 * (log_p + log_q)).sum(-1)) ** power


TOY = Family(
    name="toy_hellinger",
    function=hellinger,
    params=(Param("power", 1.0, 0.5, 2.0, dict.fromkeys(LABEL_STYLES, "k"), search=SearchRange(1.0, 2.0)),),
    default_scaling="hinton",
    scaling_reason="second order in P - Q",
    display=dict.fromkeys(LABEL_STYLES, "Hellinger"),
)


@pytest.fixture
def toy_family():
    register_family(TOY)
    yield TOY
    unregister_family(TOY.name)


def test_a_new_family_is_one_function_and_one_record(toy_family, pair) -> None:
    v, z = pair
    expected = (1 - (F.softmax(v / 2, -1) * F.softmax(z / 2, -1)).sqrt().sum(-1)) ** 1.5
    torch.testing.assert_close(divergence("toy_hellinger", v, z, temperature=2.0, power=1.5), expected)
    y = torch.zeros(4, dtype=torch.long)
    loss = kd_loss(z, v, y, divergence="toy_hellinger", beta=0.5, temperature=2.0, power=1.5)
    torch.testing.assert_close(loss, 0.5 * F.cross_entropy(z, y) + 0.5 * 4.0 * expected.mean())
    assert DistillationLoss(divergence="toy_hellinger", beta=0.5, temperature=2.0, power=1.5)(z, v, y) == loss
    assert toy_family.label({"power": 1.5}) == "Hellinger k=1.5"
    with pytest.raises(ValueError, match="power must be in"):
        DistillationLoss(divergence="toy_hellinger", beta=0.5, temperature=2.0, power=3.0)


def test_unregistering_removes_the_family_everywhere(pair) -> None:
    register_family(TOY)
    assert unregister_family(TOY.name) is TOY
    assert TOY.name not in FAMILIES
    with pytest.raises(ValueError, match="divergence must be one of"):
        divergence(TOY.name, *pair)


def test_a_taken_name_is_refused_unless_replaced(toy_family) -> None:
    with pytest.raises(ValueError, match="already registered"):
        register_family(TOY)
    assert register_family(TOY, replace=True) is TOY


@pytest.mark.parametrize("name", sorted(SOFT_TERM_KEYWORDS))
def test_a_parameter_may_not_take_a_soft_term_keyword(name: str) -> None:
    with pytest.raises(ValueError, match="reserved"):
        Family(name="bad", function=hellinger, params=(Param(name, 1.0, 0.0, 2.0, dict.fromkeys(LABEL_STYLES, "x")),),
               default_scaling="hinton", scaling_reason="", display=dict.fromkeys(LABEL_STYLES, "Bad"))


def test_bad_records_are_refused() -> None:
    symbol = dict.fromkeys(LABEL_STYLES, "x")
    with pytest.raises(ValueError, match="search range"):
        SearchRange(2.0, 1.0)
    with pytest.raises(ValueError, match="must be in"):
        Param("x", 3.0, 0.0, 1.0, symbol)  # default outside the domain
    with pytest.raises(ValueError, match="must be in"):
        Param("x", 0.5, 0.0, 1.0, symbol, search=SearchRange(0.5, 2.0))  # search range outside the domain
    with pytest.raises(ValueError, match="symbol"):
        Param("x", 0.5, 0.0, 1.0, {"text": "x"})
    with pytest.raises(ValueError, match="divides by the order"):  # thesis scaling without an order
        Family(name="bad", function=hellinger, params=(), default_scaling="thesis", scaling_reason="",
               display=dict.fromkeys(LABEL_STYLES, "Bad"))


# --- the built-in records -------------------------------------------------------------------------------------

NAMES = sorted(FAMILIES)


@pytest.mark.parametrize("name", NAMES)
def test_every_record_is_complete(name: str) -> None:
    family = FAMILIES[name]
    assert family.name == name and family.scaling_reason and family.reference and callable(family.fn)
    assert family.default_scaling in SCALINGS
    for param in family.params:
        assert param.doc and param.name not in SOFT_TERM_KEYWORDS
        if param.search is not None:
            assert param.check(param.search.low) == param.search.low and param.check(param.search.high) == param.search.high


def test_parameter_names_mean_one_thing() -> None:
    # alpha is the order of sum_i p_i^alpha q_i^(1 - alpha) wherever it appears; beta is never a family parameter
    owners: dict[str, set[str]] = {}
    for family in FAMILIES.values():
        for param in family.params:
            owners.setdefault(param.name, set()).add(family.name)
    assert owners["alpha"] == {"renyi", "amari"}
    assert {"ab_alpha", "ab_beta", "tckd_weight", "nckd_weight"} <= set(owners)
    assert "beta" not in owners


def test_default_scalings_follow_the_papers() -> None:
    scalings = {name: family.default_scaling for name, family in FAMILIES.items()}
    assert scalings == {"renyi": "thesis", "kl": "hinton", "reverse_kl": "hinton", "amari": "hinton",
                        "alpha_beta": "hinton", "js": "hinton", "tv": "linear", "skew_kl": "hinton", "dkd": "hinton",
                        "ttm": "none", "wttm": "none"}


@pytest.mark.parametrize("name", NAMES)
def test_scalings_multiply_the_mean_term(name: str, pair) -> None:
    v, z = pair
    y = torch.arange(4)
    family = FAMILIES[name]
    params = {} if family.order is None else {family.order: 2.0}  # an order other than 1 tells T^2/alpha from T^2
    term = SoftTerm.build(name, temperature=3.0, scaling="none", **params).per_sample(z, v, y).mean()
    for scaling in SCALINGS.values():
        if scaling.per_order and family.per_order is None:
            with pytest.raises(ValueError, match="scaling='thesis'"):
                kd_loss(z, v, y, divergence=name, beta=1.0, temperature=3.0, scaling=scaling.name, **params)
            continue
        loss = kd_loss(z, v, y, divergence=name, beta=1.0, temperature=3.0, scaling=scaling.name, **params)
        divisor = params[family.order] if scaling.per_order else 1.0
        torch.testing.assert_close(loss, 3.0**scaling.temperature_power / divisor * term)


def test_thesis_scaling_is_refused_without_an_order() -> None:
    with pytest.raises(ValueError, match="scaling='thesis'"):
        DistillationLoss(divergence="js", beta=0.5, temperature=2.0, scaling="thesis")
    assert DistillationLoss(divergence="js", beta=0.5, temperature=2.0).soft_term.scaling.name == "hinton"
    assert DistillationLoss(beta=0.5, temperature=2.0, alpha=0.5).soft_term.scaling.name == "thesis"


# --- arguments ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(divergence="rényi"), "divergence must be one of"),
        (dict(divergence="js", alpha=0.5), "alpha is not a parameter of divergence='js'"),
        (dict(divergence="js", lam=1.0), "lam must be in \\(0, 1\\)"),
        (dict(divergence="skew_kl", lam=-0.1), "lam must be in \\[0, 1\\]"),
        (dict(divergence="amari", alpha=math.inf), "alpha must be in \\[0, inf\\)"),
        (dict(divergence="alpha_beta", ab_beta=float("nan")), "ab_beta must be in"),
        (dict(divergence="dkd", nckd_weight="8"), "nckd_weight must be a real number"),
        (dict(divergence="renyi", alpha=True), "alpha must be a real number"),
        (dict(divergence="kl", standardize="yes"), "standardize must be True or False"),
        (dict(divergence="kl", scaling="t2"), "scaling must be one of"),
    ],
)
def test_bad_arguments_fail_before_training_naming_them(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        DistillationLoss(beta=0.5, temperature=2.0, **kwargs)


def test_missing_parameters_take_their_defaults(pair) -> None:
    v, z = pair
    torch.testing.assert_close(divergence("js", v, z), divergence("js", v, z, lam=0.5))
    module = DistillationLoss(beta=0.0, temperature=1.0)  # the teacher's own training: CE only
    assert module.soft_term.params == {"alpha": 1.0}
    assert "divergence=renyi, alpha=1.0, T=1.0, scaling=thesis, beta=0.0" == module.extra_repr()


# --- labels ---------------------------------------------------------------------------------------------------


def test_labels_in_each_style() -> None:
    assert FAMILIES["renyi"].label({"alpha": 0.5}) == "Rényi α=0.5"
    assert FAMILIES["renyi"].label({"alpha": math.inf}, "latex") == r"R\'enyi $\alpha=\infty$"
    assert FAMILIES["js"].label({"lam": 0.5}, "mpl") == r"JS $\lambda=0.5$"
    assert FAMILIES["alpha_beta"].label({"ab_alpha": 0.5, "ab_beta": 0.5}) == "AB α_AB=0.5 β_AB=0.5"  # never the bare α (Rényi order) or β (soft-term weight)
    assert FAMILIES["dkd"].label() == "DKD w_TC=1 w_NC=8"
    assert FAMILIES["kl"].label(style="latex") == "KL"
    with pytest.raises(ValueError, match="style"):
        FAMILIES["kl"].label(style="html")


@pytest.mark.parametrize("name", NAMES)
def test_matplotlib_can_typeset_every_label(name: str) -> None:
    mathtext = pytest.importorskip("matplotlib.mathtext")
    family = FAMILIES[name]
    for point in [family.resolve_params({})] + [{**family.resolve_params({}), p.name: p.search.high}
                                                for p in family.params if p.search is not None]:
        mathtext.MathTextParser("path").parse(family.label(point, "mpl"))


# --- cheap to read ----------------------------------------------------------------------------------------------


def test_the_registry_is_read_without_importing_torch() -> None:
    code = ("import sys; from renyi_kd.losses import FAMILIES; FAMILIES['renyi'].label({'alpha': 2});"
            "FAMILIES['js'].resolve_params({'lam': 0.3}); assert 'torch' not in sys.modules, 'torch imported'")
    subprocess.run([sys.executable, "-c", code], check=True)
