"""Every registered family against an independent 50-digit reference, and the properties every family has.

The tests loop over ``FAMILIES``: a new family is tested as soon as it is registered, and fails here
until its reference implementation is added to ``REFERENCES`` (from its paper's formula, in mpmath).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

import mpmath
import pytest
import torch

from renyi_kd.losses import FAMILIES, Family, SoftTerm, divergence

mpmath.mp.dps = 50
INF = float("inf")
Row = list  # a row of mpmath numbers


# --- 50-digit references, from the definitions (not from the library's formulas) -----------------------------


def mp_log_softmax(row: list[float], temperature: float) -> Row:
    x = [mpmath.mpf(value) / temperature for value in row]
    top = max(x)
    log_total = top + mpmath.log(mpmath.fsum(mpmath.exp(value - top) for value in x))
    return [value - log_total for value in x]


def mp_kl(p: Row, q: Row) -> mpmath.mpf:
    return mpmath.fsum(a * (mpmath.log(a) - mpmath.log(b)) for a, b in zip(p, q) if a > 0)


def ref_renyi(p: Row, q: Row, alpha: float) -> mpmath.mpf:
    if alpha == 0:
        return -mpmath.log(mpmath.fsum(b for a, b in zip(p, q) if a > 0))
    if alpha == 1:
        return mp_kl(p, q)
    if math.isinf(alpha):
        return max(mpmath.log(a / b) for a, b in zip(p, q) if a > 0)
    a = mpmath.mpf(alpha)
    return mpmath.log(mpmath.fsum(x**a * y ** (1 - a) for x, y in zip(p, q))) / (a - 1)


def ref_amari(p: Row, q: Row, alpha: float) -> mpmath.mpf:
    if alpha == 1:
        return mp_kl(p, q)
    if alpha == 0:
        return mp_kl(q, p)
    a = mpmath.mpf(alpha)
    return (1 - mpmath.fsum(x**a * y ** (1 - a) for x, y in zip(p, q))) / (a * (1 - a))


def ref_alpha_beta(p: Row, q: Row, ab_alpha: float, ab_beta: float) -> mpmath.mpf:
    """Cichocki, Cruces & Amari (2011), eq. (4) and its limits (eq. 5-8 there)."""
    a, b = mpmath.mpf(ab_alpha), mpmath.mpf(ab_beta)
    if a and b:
        return -mpmath.fsum(x**a * y**b - a / (a + b) * x ** (a + b) - b / (a + b) * y ** (a + b)
                            for x, y in zip(p, q)) / (a * b)
    if a:
        return mpmath.fsum(x**a * mpmath.log(x**a / y**a) - x**a + y**a for x, y in zip(p, q)) / a**2
    if b:
        return mpmath.fsum(y**b * mpmath.log(y**b / x**b) - y**b + x**b for x, y in zip(p, q)) / b**2
    return mpmath.fsum((mpmath.log(x) - mpmath.log(y)) ** 2 for x, y in zip(p, q)) / 2


def ref_js(p: Row, q: Row, lam: float) -> mpmath.mpf:
    w = mpmath.mpf(lam)
    m = [w * x + (1 - w) * y for x, y in zip(p, q)]
    return w * mp_kl(p, m) + (1 - w) * mp_kl(q, m)


def ref_skew_kl(p: Row, q: Row, lam: float) -> mpmath.mpf:
    w = mpmath.mpf(lam)
    return mp_kl(p, [w * x + (1 - w) * y for x, y in zip(p, q)])


def ref_dkd(v: list[float], z: list[float], target: int, temperature: float, tckd_weight: float, nckd_weight: float):
    """Zhao et al. (2022): b = (p_t, 1 - p_t), p_hat = p_i / (1 - p_t) over i != t."""
    p = [mpmath.exp(x) for x in mp_log_softmax(v, temperature)]
    q = [mpmath.exp(x) for x in mp_log_softmax(z, temperature)]
    p_rest = mpmath.fsum(x for i, x in enumerate(p) if i != target)  # 1 - p_t, without rounding it to 0
    q_rest = mpmath.fsum(y for i, y in enumerate(q) if i != target)
    tckd = mp_kl([p[target], p_rest], [q[target], q_rest])
    nckd = mp_kl([x / p_rest for i, x in enumerate(p) if i != target], [y / q_rest for i, y in enumerate(q) if i != target])
    return tckd_weight * tckd + nckd_weight * nckd


def ref_ttm(v: list[float], z: list[float], target: int, temperature: float, weighted: bool = False):
    """Zheng & Yang (2024): the power transform p^(1/T) / U of p = softmax(v), U = sum p^(1/T), against softmax(z)."""
    p = [mpmath.exp(x) for x in mp_log_softmax(v, 1.0)]
    powered = [x ** (mpmath.mpf(1) / temperature) for x in p]
    weight = mpmath.fsum(powered)
    q = [mpmath.exp(x) for x in mp_log_softmax(z, 1.0)]
    kl = mp_kl([x / weight for x in powered], q)
    return weight * kl if weighted else kl


def pointwise(reference: Callable[..., mpmath.mpf]) -> Callable[..., mpmath.mpf]:
    """A reference of (P, Q) as one of the logits, at temperature T for both sides."""

    def of_logits(v, z, target, temperature, **params):
        p = [mpmath.exp(x) for x in mp_log_softmax(v, temperature)]
        q = [mpmath.exp(x) for x in mp_log_softmax(z, temperature)]
        return reference(p, q, **params)

    return of_logits


@dataclass(frozen=True)
class Reference:
    """A family's reference (of teacher row, student row, target, T and parameters) and the parameter
    points next to its limits that the registry's domains and search ranges do not already give."""

    value: Callable[..., mpmath.mpf]
    limit_points: tuple[dict[str, float], ...] = ()


REFERENCES: dict[str, Reference] = {
    "renyi": Reference(pointwise(ref_renyi), tuple({"alpha": a} for a in (1e-6, 0.5, 1 - 1e-6, 1 + 1e-6, 2.0, 50.0, INF))),
    "kl": Reference(pointwise(mp_kl)),
    "reverse_kl": Reference(pointwise(lambda p, q: mp_kl(q, p))),
    "amari": Reference(pointwise(ref_amari), tuple({"alpha": a} for a in (1e-6, 1 - 1e-6, 1.0, 1 + 1e-6, 2.0))),
    "alpha_beta": Reference(
        pointwise(ref_alpha_beta),
        tuple({"ab_alpha": a, "ab_beta": b} for a, b in
              ((1.0, 0.0), (0.0, 1.0), (1.0, 1e-6), (1e-6, 1.0), (0.3, 0.7), (0.0, 0.0), (1e-6, 1e-6), (2.0, 0.5))),
    ),
    "js": Reference(pointwise(ref_js), tuple({"lam": w} for w in (1e-6, 1 - 1e-6))),
    "tv": Reference(pointwise(lambda p, q: mpmath.fsum(abs(a - b) for a, b in zip(p, q)) / 2)),
    "skew_kl": Reference(pointwise(ref_skew_kl), tuple({"lam": w} for w in (1e-6, 1 - 1e-6))),
    "dkd": Reference(ref_dkd, ({"tckd_weight": 1.0, "nckd_weight": 0.0}, {"tckd_weight": 0.0, "nckd_weight": 1.0})),
    "ttm": Reference(ref_ttm),
    "wttm": Reference(lambda *args: ref_ttm(*args, weighted=True)),
}


# --- parameter points, from the registry ------------------------------------------------------------------------


def domain_points(family: Family) -> list[dict[str, float]]:
    """Each parameter at its default, its search-range ends and next to its domain ends (others at default)."""
    defaults = {param.name: param.default for param in family.params}
    points = [defaults]
    for param in family.params:
        values = [] if param.search is None else [param.search.low, param.search.high]
        if math.isfinite(param.low):
            values += [param.low + 1e-6] + ([] if param.low_open else [param.low])
        if math.isfinite(param.high):
            values += [param.high - 1e-6] + ([] if param.high_open else [param.high])
        points += [{**defaults, param.name: value} for value in values]
    return points


def parameter_points(family: Family) -> list[dict[str, float]]:
    extra = [{**family.resolve_params({}), **point} for point in REFERENCES[family.name].limit_points]
    unique: dict[tuple, dict[str, float]] = {}
    for point in domain_points(family) + extra:
        unique.setdefault(tuple(sorted(point.items())), point)
    return list(unique.values())


CASES = [(name, point) for name, family in FAMILIES.items() if name in REFERENCES for point in parameter_points(family)]
CASE_IDS = [f"{name}-" + "-".join(f"{k}={v:g}" for k, v in point.items()) for name, point in CASES]


def test_every_family_has_a_reference() -> None:
    assert sorted(FAMILIES) == sorted(REFERENCES)


# --- evaluation through the public API ---------------------------------------------------------------------------


def per_sample(name: str, teacher: torch.Tensor, student: torch.Tensor, targets: torch.Tensor, temperature: float,
               params: dict[str, float]) -> torch.Tensor:
    """The family's unscaled term per row; pointwise families also through ``divergence`` (which must agree)."""
    term = SoftTerm.build(name, temperature=temperature, scaling="hinton", **params)
    value = term.per_sample(student, teacher, targets)
    if FAMILIES[name].pointwise:
        torch.testing.assert_close(divergence(name, teacher, student, temperature=temperature, **params), value)
    return value


def logits(scale: float, dtype: torch.dtype, seed: int = 0, rows: int = 3, classes: int = 5):
    g = torch.Generator().manual_seed(seed)
    v = scale * torch.randn(rows, classes, generator=g, dtype=torch.float64)
    z = scale * torch.randn(rows, classes, generator=g, dtype=torch.float64)
    y = torch.randint(classes, (rows,), generator=g)
    return v.to(dtype), z.to(dtype), y


def reference_rows(name: str, v: torch.Tensor, z: torch.Tensor, y: torch.Tensor, temperature: float,
                   point: dict[str, float]) -> list[mpmath.mpf]:
    ref = REFERENCES[name].value
    return [ref(vr, zr, int(t), temperature, **point) for vr, zr, t in zip(v.double().tolist(), z.double().tolist(), y)]


@lru_cache(maxsize=None)
def reference_values(name: str, point: tuple, scale: float, dtype: torch.dtype, temperature: float) -> torch.Tensor:
    v, z, y = logits(scale, dtype)
    return torch.tensor([float(r) for r in reference_rows(name, v, z, y, temperature, dict(point))], dtype=torch.float64)


TOLERANCE = {torch.float64: 1e-9, torch.float32: 1e-4}


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("temperature", [0.5, 1.0, 4.0])
@pytest.mark.parametrize(("name", "point"), CASES, ids=CASE_IDS)
def test_relative_accuracy_against_reference(name: str, point: dict, temperature: float, dtype: torch.dtype) -> None:
    # Moderate logits, P far from Q: every value keeps its relative accuracy, also next to the limits
    # (a formula that cancels or divides by a small parameter fails here in float32).
    v, z, y = logits(3.0, dtype)
    expected = reference_values(name, tuple(point.items()), 3.0, dtype, temperature)
    got = per_sample(name, v, z, y, temperature, point)
    assert got.dtype == dtype
    torch.testing.assert_close(got.double(), expected, rtol=TOLERANCE[dtype], atol=1e-40)  # 50 digits


# The temperatures between the extremes: `make test-all` (the exhaustive marker), not every run.
INNER_TEMPERATURES = [pytest.param(t, marks=pytest.mark.exhaustive) for t in (1.0, 4.0)]


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("temperature", [0.5, *INNER_TEMPERATURES, 20.0])
@pytest.mark.parametrize("scale", [30.0, 1e3])
@pytest.mark.parametrize(("name", "point"), CASES, ids=CASE_IDS)
def test_adversarial_logits_against_reference(name: str, point: dict, scale: float, temperature: float,
                                              dtype: torch.dtype) -> None:
    v, z, y = logits(scale, dtype)
    # rounded to the dtype: an exact value beyond its range must come out infinite
    expected = reference_values(name, tuple(point.items()), scale, dtype, temperature).to(dtype).double()
    got = per_sample(name, v, z, y, temperature, point)
    # the log-probabilities of logits ~ scale / T are themselves only accurate to ~eps * scale / T
    atol = 100 * torch.finfo(dtype).eps * max(1.0, scale / temperature)
    torch.testing.assert_close(got.double(), expected, rtol=TOLERANCE[dtype], atol=atol)


# --- properties of every family ----------------------------------------------------------------------------------

FAMILY_NAMES = sorted(FAMILIES)


@pytest.mark.parametrize("name", FAMILY_NAMES)
def test_non_negative_and_zero_only_for_equal_distributions(name: str) -> None:
    for point in parameter_points(FAMILIES[name]):
        for seed in range(3):
            v, z, y = logits(4.0, torch.float64, seed=seed, rows=6, classes=7)
            for temperature in (0.5, 1.0, 4.0):
                assert (per_sample(name, v, z, y, temperature, point) >= 0).all()
            # At T = 1 every soft term compares softmax(v) with softmax(z): equal for z = v + c only.
            same = per_sample(name, v, v + 2.5, y, 1.0, point)
            torch.testing.assert_close(same, torch.zeros_like(same), rtol=0, atol=1e-12)
            # Unequal distributions give a positive value wherever the exact one is (D_0 is 0 for full support).
            exact_positive = torch.tensor([r > 1e-40 for r in reference_rows(name, v, z, y, 1.0, point)])
            assert torch.equal(per_sample(name, v, z, y, 1.0, point) > 0, exact_positive), point


def search_points(family: Family) -> list[dict[str, float]]:
    """Every parameter at its default and at the ends of its search range (others at their defaults)."""
    defaults = family.resolve_params({})
    return [defaults] + [{**defaults, param.name: end} for param in family.params if param.search is not None
                         for end in (param.search.low, param.search.high)]


@pytest.mark.parametrize("temperature", [0.5, *INNER_TEMPERATURES, 20.0])
@pytest.mark.parametrize("scale", [1e3, 1e4])
@pytest.mark.parametrize("name", FAMILY_NAMES)
def test_float32_values_and_gradients_are_finite_for_huge_logits(name: str, scale: float, temperature: float) -> None:
    # At the parameters a tuner may pick, where every exact value is representable in float32.
    for point in search_points(FAMILIES[name]):
        v, z, y = logits(scale, torch.float32, seed=1, rows=8, classes=10)
        v.requires_grad_(), z.requires_grad_()
        value = per_sample(name, v, z, y, temperature, point)
        grads = torch.autograd.grad(value.sum(), [v, z], allow_unused=True)
        assert value.dtype == torch.float32 and torch.isfinite(value).all(), point
        assert all(torch.isfinite(g).all() for g in grads if g is not None), point


@pytest.mark.parametrize("name", FAMILY_NAMES)
def test_gradients_match_finite_differences(name: str) -> None:
    for point in parameter_points(FAMILIES[name]):
        if any(math.isinf(x) for x in point.values()):
            continue  # D_inf is a max: not differentiable where it switches class
        # 2 rows of 4 classes: every partial derivative is one finite difference, so the input's size sets the cost
        v, z, y = logits(1.5, torch.float64, seed=4, rows=2, classes=4)
        v.requires_grad_(), z.requires_grad_()
        assert torch.autograd.gradcheck(lambda a, b: per_sample(name, a, b, y, 2.0, point), (v, z)), point


@pytest.mark.parametrize("name", FAMILY_NAMES)
def test_half_precision_inputs_are_computed_in_float32(name: str) -> None:
    v, z, y = logits(3.0, torch.bfloat16)
    value = per_sample(name, v, z, y, 2.0, FAMILIES[name].resolve_params({}))
    assert value.dtype == torch.float32
    torch.testing.assert_close(value, per_sample(name, v.float(), z.float(), y, 2.0, FAMILIES[name].resolve_params({})))


@pytest.mark.parametrize("name", FAMILY_NAMES)
def test_a_class_impossible_for_both_is_ignored(name: str) -> None:
    v, z, y = logits(2.0, torch.float64, seed=5, rows=2, classes=4)
    y = torch.tensor([0, 1])  # the impossible class is never a label
    v[:, 2], z[:, 2] = -INF, -INF
    v.requires_grad_(), z.requires_grad_()
    params = FAMILIES[name].resolve_params({})
    value = per_sample(name, v, z, y, 1.5, params)
    keep = [0, 1, 3]
    torch.testing.assert_close(value, per_sample(name, v.detach()[:, keep], z.detach()[:, keep], y, 1.5, params))
    grads = torch.autograd.grad(value.sum(), [v, z], allow_unused=True)
    assert all(torch.isfinite(g).all() for g in grads if g is not None)
