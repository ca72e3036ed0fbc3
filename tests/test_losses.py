"""The divergence library against closed forms, limits, autograd and a 50-digit reference."""

from __future__ import annotations

import math

import mpmath
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from renyi_kd.losses import DistillationLoss, distillation_loss, kd_loss, renyi_divergence, renyi_soft_term

INF = float("inf")
ORDERS = [0.0, 1e-6, 0.1, 0.25, 0.5, 0.75, 1 - 1e-4, 1.0, 1 + 1e-4, 1.5, 2.0, 3.0, 5.0, 50.0, INF]


def logits_of(probs: list[float]) -> torch.Tensor:
    return torch.tensor([probs], dtype=torch.float64).log()


def reference(p_logits: torch.Tensor, q_logits: torch.Tensor, alpha: float, temperature: float = 1.0) -> list[float]:
    """D_alpha row by row from the definition, in 50-digit arithmetic."""
    mpmath.mp.dps = 50
    out = []
    for v_row, z_row in zip(p_logits.double().tolist(), q_logits.double().tolist()):
        v = [mpmath.mpf(x) / temperature for x in v_row]
        z = [mpmath.mpf(x) / temperature for x in z_row]
        lp = [x - mpmath.log(sum(mpmath.exp(y) for y in v)) for x in v]
        lq = [x - mpmath.log(sum(mpmath.exp(y) for y in z)) for x in z]
        if alpha == 1.0:
            d = sum(mpmath.exp(a) * (a - b) for a, b in zip(lp, lq))
        elif alpha == 0.0:
            d = -mpmath.log(sum(mpmath.exp(b) for b in lq))
        elif math.isinf(alpha):
            d = max(a - b for a, b in zip(lp, lq))
        else:
            al = mpmath.mpf(alpha)
            d = mpmath.log(sum(mpmath.exp(al * a + (1 - al) * b) for a, b in zip(lp, lq))) / (al - 1)
        out.append(float(d))
    return out


@pytest.fixture
def pair() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    v = 3 * torch.randn(8, 10, generator=g, dtype=torch.float64)
    z = 3 * torch.randn(8, 10, generator=g, dtype=torch.float64)
    return v, z


# --- the thesis's worked examples -------------------------------------------------------------------------


def test_thesis_coin_examples() -> None:
    p = torch.tensor([0.5, 0.5], dtype=torch.float64)
    q = torch.tensor([0.4, 0.6], dtype=torch.float64)
    entropy_p = -(p * p.log()).sum().item()
    entropy_q = -(q * q.log()).sum().item()
    cross = -(p * q.log()).sum().item()
    kl = renyi_divergence(p.log()[None], q.log()[None], 1.0).item()
    assert entropy_p == pytest.approx(0.693, abs=5e-4)
    assert entropy_q == pytest.approx(0.673, abs=5e-4)
    assert cross == pytest.approx(0.714, abs=5e-4)
    assert kl == pytest.approx(0.021, abs=1e-3)
    assert kl == pytest.approx(cross - entropy_p, rel=1e-12)  # eq. (1.1)


@pytest.mark.parametrize("alpha", [0.0, 0.3, 0.5, 0.9, 1.0, 1.1, 2.0, 7.0, INF])
def test_conditional_distribution_does_not_depend_on_alpha(alpha: float) -> None:
    q = torch.tensor([0.1, 0.2, 0.3, 0.4], dtype=torch.float64)
    in_a = torch.tensor([True, False, True, False])
    p = torch.where(in_a, q / q[in_a].sum(), torch.zeros_like(q))  # P = Q(. | A)
    d = renyi_divergence(p.log()[None], q.log()[None], alpha)
    assert d.item() == pytest.approx(-math.log(0.4), rel=1e-12)


# --- alpha = 1 is KL, and the classic KD loss ---------------------------------------------------------------


@pytest.mark.parametrize("temperature", [0.5, 1.0, 4.0, 20.0])
def test_order_one_is_kl_and_the_classic_kd_loss(pair, temperature: float) -> None:
    v, z = pair
    classic = F.kl_div(F.log_softmax(z / temperature, -1), F.softmax(v / temperature, -1), reduction="batchmean")
    ours = renyi_divergence(v, z, 1.0, temperature)
    assert ours.mean().item() == pytest.approx(classic.item(), rel=1e-12)
    loss = distillation_loss(z, v, None, alpha=1.0, beta=0.5, temperature=temperature)
    assert loss.item() == pytest.approx(classic.item() * temperature**2, rel=1e-12)
    hinton = distillation_loss(z, v, None, alpha=1.0, beta=0.5, temperature=temperature, scaling="hinton")
    assert hinton.item() == pytest.approx(loss.item(), rel=1e-12)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("delta", [1e-7, -1e-7, 1e-4, -1e-4])
def test_continuous_across_order_one(pair, dtype: torch.dtype, delta: float) -> None:
    v, z = (t.to(dtype) for t in pair)
    kl = renyi_divergence(v, z, 1.0)
    near = renyi_divergence(v, z, 1.0 + delta)
    # D_{1+d} = KL + d/2 Var_P(log p - log q) + O(d^2)
    log_p, log_q = F.log_softmax(v.double(), -1), F.log_softmax(z.double(), -1)
    r = log_p - log_q
    var = (log_p.exp() * (r - (log_p.exp() * r).sum(-1, keepdim=True)) ** 2).sum(-1)
    expected = kl.double() + delta / 2 * var
    tol = 1e-12 if dtype == torch.float64 else 2e-6
    torch.testing.assert_close(near.double(), expected, rtol=tol, atol=tol + abs(delta) ** 2 * 100)


@pytest.mark.parametrize("alpha", [1 - 1e-7, 1 + 1e-7, 1 - 1e-3, 1 + 1e-3])
def test_near_order_one_matches_reference_for_close_distributions(alpha: float) -> None:
    g = torch.Generator().manual_seed(1)
    v = torch.randn(4, 100, generator=g, dtype=torch.float64)
    z = v + 1e-3 * torch.randn(4, 100, generator=g, dtype=torch.float64)  # KL ~ 1e-7: rounding would dominate
    torch.testing.assert_close(renyi_divergence(v, z, alpha), torch.tensor(reference(v, z, alpha), dtype=torch.float64), rtol=1e-9, atol=0)


# --- limits -------------------------------------------------------------------------------------------------


def test_order_zero_and_its_limit(pair) -> None:
    v, z = pair
    assert torch.all(renyi_divergence(v, z, 0.0) == 0)  # full-support softmax: -log sum q = 0
    assert torch.all(renyi_divergence(v, z, 1e-9) < 1e-7)
    # (1/alpha) D_alpha(P||Q) -> KL(Q||P): the renyi-a0 method is that limit
    reverse_kl = renyi_divergence(z, v, 1.0).mean()
    limit = renyi_soft_term(z, v, alpha=0.0, temperature=1.0)
    assert limit.item() == pytest.approx(reverse_kl.item(), rel=1e-12)
    for alpha in (1e-3, 1e-6, 1e-9):
        approach = renyi_soft_term(z, v, alpha=alpha, temperature=1.0)
        assert approach.item() == pytest.approx(reverse_kl.item(), rel=5 * alpha + 1e-12)


def test_order_zero_with_partial_support() -> None:
    p = torch.tensor([[0.5, 0.5, 0.0]], dtype=torch.float64)
    q = torch.tensor([[0.2, 0.3, 0.5]], dtype=torch.float64)
    assert renyi_divergence(p.log(), q.log(), 0.0).item() == pytest.approx(-math.log(0.5), rel=1e-12)


def test_order_infinity_and_its_limit(pair) -> None:
    v, z = pair
    d_inf = renyi_divergence(v, z, INF)
    expected = (F.log_softmax(v, -1) - F.log_softmax(z, -1)).amax(-1)
    torch.testing.assert_close(d_inf, expected)
    # D_alpha -> D_inf from below at rate O(1/alpha)
    for alpha in (1e3, 1e5):
        d = renyi_divergence(v, z, alpha)
        assert torch.all(d <= d_inf + 1e-12)
        torch.testing.assert_close(d, d_inf, rtol=0, atol=20 / alpha)


def test_order_half_is_a_hellinger_function(pair) -> None:
    v, z = pair
    p, q = F.softmax(v, -1), F.softmax(z, -1)
    hellinger_sq = 0.5 * ((p.sqrt() - q.sqrt()) ** 2).sum(-1)
    torch.testing.assert_close(renyi_divergence(v, z, 0.5), -2 * torch.log1p(-hellinger_sq), rtol=1e-12, atol=1e-14)
    torch.testing.assert_close(renyi_divergence(v, z, 0.5), renyi_divergence(z, v, 0.5), rtol=1e-12, atol=0)


@pytest.mark.parametrize("alpha", [0.1, 0.25, 0.5, 0.6, 0.9, 0.999])
def test_skew_symmetry(pair, alpha: float) -> None:
    v, z = pair
    lhs = renyi_divergence(v, z, alpha)
    rhs = alpha / (1 - alpha) * renyi_divergence(z, v, 1 - alpha)
    torch.testing.assert_close(lhs, rhs, rtol=1e-12, atol=0)


# --- against a 50-digit reference ---------------------------------------------------------------------------


@pytest.mark.parametrize("temperature", [0.5, 1.0, 4.0, 20.0])
@pytest.mark.parametrize("alpha", ORDERS)
def test_float64_matches_high_precision_reference(pair, alpha: float, temperature: float) -> None:
    v, z = pair
    expected = torch.tensor(reference(v, z, alpha, temperature), dtype=torch.float64)
    torch.testing.assert_close(renyi_divergence(v, z, alpha, temperature), expected, rtol=1e-9, atol=1e-13)


@pytest.mark.parametrize("scale", [1.0, 1e2, 1e4])
@pytest.mark.parametrize("temperature", [0.5, 1.0, 4.0, 20.0])
@pytest.mark.parametrize("alpha", ORDERS)
def test_float32_is_finite_and_close_to_reference_for_extreme_logits(alpha: float, temperature: float, scale: float) -> None:
    g = torch.Generator().manual_seed(2)
    v = (scale * torch.randn(6, 10, generator=g)).requires_grad_()
    z = (scale * torch.randn(6, 10, generator=g)).requires_grad_()
    d = renyi_divergence(v, z, alpha, temperature)
    grads = torch.autograd.grad(d.sum(), [v, z], allow_unused=True)  # D_0 does not depend on v
    assert d.dtype == torch.float32
    assert torch.isfinite(d).all()
    assert all(torch.isfinite(g).all() for g in grads if g is not None)
    expected = torch.tensor(reference(v.detach(), z.detach(), alpha, temperature), dtype=torch.float64)
    # float32 log_softmax of logits ~ scale/T is itself accurate only to ~eps * scale / T
    atol = 1e-5 * max(1.0, scale / temperature)
    torch.testing.assert_close(d.double(), expected, rtol=1e-4, atol=atol)


# --- properties ---------------------------------------------------------------------------------------------

logit_rows = st.lists(st.floats(-30, 30, allow_nan=False), min_size=2, max_size=12)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_non_negative_and_zero_only_for_equal_distributions(data) -> None:
    v_row = data.draw(logit_rows)
    z_row = data.draw(st.lists(st.floats(-30, 30, allow_nan=False), min_size=len(v_row), max_size=len(v_row)))
    v = torch.tensor([v_row], dtype=torch.float64)
    z = torch.tensor([z_row], dtype=torch.float64)
    shift = data.draw(st.floats(-5, 5))
    for alpha in ORDERS:
        assert renyi_divergence(v, z, alpha).item() >= 0
        assert renyi_divergence(v, v + shift, alpha).item() == pytest.approx(0.0, abs=1e-9)  # same softmax
    gap = (F.softmax(v, -1) - F.softmax(z, -1)).abs().sum().item()
    if gap > 1e-3:
        for alpha in [a for a in ORDERS if a >= 0.1]:
            assert renyi_divergence(v, z, alpha).item() > 0


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_non_decreasing_in_alpha(data) -> None:
    v_row = data.draw(logit_rows)
    z_row = data.draw(st.lists(st.floats(-30, 30, allow_nan=False), min_size=len(v_row), max_size=len(v_row)))
    v = torch.tensor([v_row], dtype=torch.float64)
    z = torch.tensor([z_row], dtype=torch.float64)
    values = [renyi_divergence(v, z, alpha).item() for alpha in ORDERS]
    for lower, higher in zip(values, values[1:]):
        assert higher >= lower - 1e-9 * max(1.0, abs(lower))


# --- gradients ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("temperature", [1.0, 4.0])
@pytest.mark.parametrize("alpha", [0.25, 0.5, 1.0 - 1e-6, 1.0, 2.0, 5.0])
def test_autograd_matches_thesis_gradient(pair, alpha: float, temperature: float) -> None:
    v, z = pair
    z = z.clone().requires_grad_()
    renyi_divergence(v, z, alpha, temperature).sum().backward()
    p, q = F.softmax(v / temperature, -1), F.softmax(z.detach() / temperature, -1)
    tilted = p**alpha * q ** (1 - alpha)
    expected = (q - tilted / tilted.sum(-1, keepdim=True)) / temperature  # thesis eq. (1.8)
    torch.testing.assert_close(z.grad, expected, rtol=1e-7, atol=1e-12)


@pytest.mark.parametrize("alpha", [0.5, 1.0, 2.0, 5.0])
def test_high_temperature_gradient_limit(alpha: float) -> None:
    g = torch.Generator().manual_seed(3)
    v = torch.randn(4, 10, generator=g, dtype=torch.float64)
    z = torch.randn(4, 10, generator=g, dtype=torch.float64)
    v, z = v - v.mean(-1, keepdim=True), z - z.mean(-1, keepdim=True)
    n = v.shape[-1]

    def relative_error(temperature: float) -> float:
        zz = z.clone().requires_grad_()
        renyi_divergence(v, zz, alpha, temperature).sum().backward()
        # thesis eq. (1.7) generalised: alpha / (n T^2) (z - v); scaled by T^2/alpha it is (z - v)/n for every alpha
        scaled = zz.grad * temperature**2 / alpha
        return ((scaled - (z - v) / n).norm() / ((z - v) / n).norm()).item()

    errors = [relative_error(t) for t in (1e2, 1e3, 1e4)]
    assert errors[-1] < 1e-3
    assert errors[0] > errors[1] > errors[2]  # converges at rate O(1/T)
    assert errors[1] / errors[2] == pytest.approx(10, rel=0.2)


# --- the distillation loss ----------------------------------------------------------------------------------


def test_distillation_loss_combines_hard_and_soft_terms(pair) -> None:
    v, z = pair
    y = torch.arange(v.shape[0]) % v.shape[1]
    alpha, beta, temperature = 2.0, 0.3, 4.0
    hard = F.cross_entropy(z, y)
    soft = temperature**2 / alpha * renyi_divergence(v, z, alpha, temperature).mean()
    loss = distillation_loss(z, v, y, alpha=alpha, beta=beta, temperature=temperature)
    assert loss.item() == pytest.approx(((1 - beta) * hard + beta * soft).item(), rel=1e-12)
    hinton = distillation_loss(z, v, y, alpha=alpha, beta=beta, temperature=temperature, scaling="hinton")
    assert hinton.item() == pytest.approx(((1 - beta) * hard + beta * alpha * soft).item(), rel=1e-12)
    assert distillation_loss(z, None, y, alpha=alpha, beta=0.0, temperature=temperature).item() == pytest.approx(hard.item())
    module = DistillationLoss(alpha=alpha, beta=beta, temperature=temperature)
    assert module(z, v, y).item() == pytest.approx(loss.item(), rel=1e-12)


def test_label_smoothing_smooths_the_hard_term_only(pair) -> None:
    v, z = pair
    y = torch.arange(v.shape[0]) % v.shape[1]
    loss = kd_loss(z, v, y, divergence="renyi", beta=0.3, temperature=4.0, label_smoothing=0.1, alpha=2.0)
    soft = kd_loss(z, v, None, divergence="renyi", beta=0.3, temperature=4.0, alpha=2.0)
    assert loss.item() == pytest.approx((0.7 * F.cross_entropy(z, y, label_smoothing=0.1) + 0.3 * soft).item(), rel=1e-12)
    with pytest.raises(ValueError, match="label_smoothing"):
        DistillationLoss(beta=0.3, temperature=4.0, label_smoothing=1.0)


def test_order_zero_loss_is_reverse_kl_not_a_division_by_zero(pair) -> None:
    v, z = pair
    z = z.clone().requires_grad_()
    loss = distillation_loss(z, v, None, alpha=0.0, beta=1.0, temperature=2.0)
    loss.backward()
    expected = 4.0 * renyi_divergence(z.detach(), v, 1.0, 2.0).mean()
    assert loss.item() == pytest.approx(expected.item(), rel=1e-12)
    assert torch.isfinite(z.grad).all() and z.grad.abs().sum() > 0


def test_half_precision_inputs_are_computed_in_float32(pair) -> None:
    v, z = (t.to(torch.bfloat16) for t in pair)
    d = renyi_divergence(v, z, 2.0)
    assert d.dtype == torch.float32
    torch.testing.assert_close(d, renyi_divergence(v.float(), z.float(), 2.0))


# --- bad input ----------------------------------------------------------------------------------------------

GOOD = dict(alpha=1.0, beta=0.5, temperature=2.0)


@pytest.mark.parametrize(
    ("change", "name"),
    [
        (dict(alpha=-0.5), "alpha"),
        (dict(alpha=float("nan")), "alpha"),
        (dict(alpha="1"), "alpha"),
        (dict(temperature=0.0), "temperature"),
        (dict(temperature=-1.0), "temperature"),
        (dict(beta=1.5), "beta"),
        (dict(beta=-0.1), "beta"),
        (dict(scaling="quadratic"), "scaling"),
    ],
)
def test_invalid_arguments_raise_naming_them(pair, change: dict, name: str) -> None:
    v, z = pair
    y = torch.zeros(v.shape[0], dtype=torch.long)
    with pytest.raises(ValueError, match=name):
        distillation_loss(z, v, y, **{**GOOD, **change})
    with pytest.raises(ValueError, match=name):
        DistillationLoss(**{**GOOD, **change})


def test_mismatched_shapes_raise(pair) -> None:
    v, z = pair
    with pytest.raises(ValueError, match="same shape"):
        renyi_divergence(v, z[:, :5], 1.0)
    with pytest.raises(ValueError, match="targets"):
        distillation_loss(z, v, torch.zeros(3, dtype=torch.long), **GOOD)
    with pytest.raises(ValueError, match="temperature"):
        renyi_divergence(v, z, 1.0, temperature=float("inf"))


@pytest.mark.parametrize("alpha", [0.0, 0.1, 0.25, 0.5, 0.75, 1.0 - 1e-3, 1.0, 1.0 + 1e-3, 2.0, 5.0, INF])
def test_gradients_of_both_arguments_pass_gradcheck(alpha: float) -> None:
    g = torch.Generator().manual_seed(4)
    v = torch.randn(3, 5, generator=g, dtype=torch.float64, requires_grad=True)
    z = torch.randn(3, 5, generator=g, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda a, b: renyi_divergence(a, b, alpha, 2.0), (v, z))
    assert torch.autograd.gradcheck(lambda a, b: renyi_soft_term(b, a, alpha=alpha, temperature=2.0), (v, z))


def reference_first_argument_gradient(v: torch.Tensor, z: torch.Tensor, alpha: float) -> torch.Tensor:
    """dD_alpha/dv = alpha/(alpha-1) (w - p) at T = 1, w = p^alpha q^(1-alpha) / Z, in 50-digit arithmetic."""
    mpmath.mp.dps = 50
    al = mpmath.mpf(alpha)
    rows = []
    for v_row, z_row in zip(v.tolist(), z.tolist()):
        ev = [mpmath.exp(mpmath.mpf(x)) for x in v_row]
        ez = [mpmath.exp(mpmath.mpf(x)) for x in z_row]
        p = [x / sum(ev) for x in ev]
        q = [x / sum(ez) for x in ez]
        tilted = [a**al * b ** (1 - al) for a, b in zip(p, q)]
        w = [t / sum(tilted) for t in tilted]
        rows.append([float(al / (al - 1) * (wi - pi)) for wi, pi in zip(w, p)])
    return torch.tensor(rows, dtype=torch.float64)


@pytest.mark.parametrize("delta", [1e-9, -1e-9, 1e-6, -1e-6, 0.3])
def test_first_argument_gradient_is_accurate_next_to_order_one(pair, delta: float) -> None:
    v, z = pair
    v = v.clone().requires_grad_()
    renyi_divergence(v, z, 1.0 + delta).sum().backward()
    # alpha/(alpha-1) (w - p): no 1/delta blow-up of rounding errors
    expected = reference_first_argument_gradient(v.detach(), z, 1.0 + delta)
    torch.testing.assert_close(v.grad, expected, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("alpha", [0.5, 0.9, 1.1, pytest.param(2.0, marks=pytest.mark.exhaustive), 5.0])
def test_a_close_student_in_float32_is_as_accurate_as_kl(alpha: float) -> None:
    # For a student close to its teacher every order's error is set by the float32 log-probabilities, as
    # KL's is: the logsumexp form far from alpha = 1 and the log1p form next to it stay within a small
    # factor of KL's error (a logsumexp form divided by a small alpha - 1 would not).
    g = torch.Generator().manual_seed(7)
    v = 3 * torch.randn(8, 100, generator=g)
    z = v + 0.03 * torch.randn(8, 100, generator=g)

    def error(order: float) -> torch.Tensor:
        exact = torch.tensor(reference(v, z, order, 4.0), dtype=torch.float64)
        return (renyi_divergence(v, z, order, 4.0).double() - exact).abs().max()

    assert error(alpha) <= 4 * error(1.0)


@pytest.mark.parametrize("alpha", [0.25, 0.75, 1.3])
def test_rows_near_and_far_in_one_batch(alpha: float) -> None:
    # Next to alpha = 1 a row is computed by the log1p form only while |log Z| = |alpha - 1| D < 1/2:
    # a batch with both kinds of rows must give each row its own accurate value and gradient.
    g = torch.Generator().manual_seed(8)
    v = torch.randn(4, 6, generator=g, dtype=torch.float64)
    z = v + torch.tensor([[0.1], [0.3], [8.0], [15.0]], dtype=torch.float64) * torch.randn(4, 6, generator=g, dtype=torch.float64)
    expected = torch.tensor(reference(v, z, alpha), dtype=torch.float64)
    inner = max(alpha, 1 - alpha)  # the order the skew identity computes
    log_z = (inner - 1) * torch.tensor(reference(z, v, inner) if alpha < 0.5 else reference(v, z, alpha), dtype=torch.float64)
    assert (log_z.abs() < 0.5).any() and (log_z.abs() >= 0.5).any()
    torch.testing.assert_close(renyi_divergence(v, z, alpha), expected, rtol=1e-10, atol=0)
    v, z = v.requires_grad_(), z.requires_grad_()
    assert torch.autograd.gradcheck(lambda a, b: renyi_divergence(a, b, alpha), (v, z))


@pytest.mark.parametrize("alpha", [0.5, 1.0, 2.0])
def test_gradient_survives_when_the_student_is_close_to_the_teacher(alpha: float) -> None:
    # D rounds to tiny negative values here; clamping the value must not zero the gradient.
    g = torch.Generator().manual_seed(5)
    v = 10 * torch.randn(1000, 10, generator=g)
    z = (v + 1e-3 * torch.randn(1000, 10, generator=g)).requires_grad_()
    renyi_divergence(v, z, alpha, 4.0).sum().backward()
    p, q = F.softmax(v.double() / 4, -1), F.softmax(z.detach().double() / 4, -1)
    tilted = p**alpha * q ** (1 - alpha)
    expected = (q - tilted / tilted.sum(-1, keepdim=True)) / 4  # thesis eq. (1.8)
    assert (z.grad.abs().sum(-1) > 0).all()
    torch.testing.assert_close(z.grad.double(), expected, rtol=0, atol=1e-7)


@pytest.mark.parametrize("alpha", [0.0, 0.3, 0.7, 1.0, 2.0, INF])
def test_a_class_impossible_for_both_is_ignored(alpha: float) -> None:
    v = torch.tensor([[2.0, 1.0, -INF, 0.0]], dtype=torch.float64, requires_grad=True)
    z = torch.tensor([[1.0, 0.0, -INF, 3.0]], dtype=torch.float64, requires_grad=True)
    d = renyi_divergence(v, z, alpha)
    expected = renyi_divergence(v.detach()[:, [0, 1, 3]], z.detach()[:, [0, 1, 3]], alpha)
    torch.testing.assert_close(d.detach(), expected)
    grads = torch.autograd.grad(d.sum(), [v, z], allow_unused=True)  # D_0 does not depend on v
    assert all(torch.isfinite(g).all() for g in grads if g is not None)


@pytest.mark.parametrize(("alpha", "scale", "temperature"), [(1e8, 30.0, 1.0), (1e7, 1e4, 20.0), (1e4, 3.0, 1.0)])
def test_very_large_orders_have_finite_gradients(alpha: float, scale: float, temperature: float) -> None:
    g = torch.Generator().manual_seed(6)
    v = (scale * torch.randn(64, 10, generator=g)).requires_grad_()
    z = (scale * torch.randn(64, 10, generator=g)).requires_grad_()
    d = renyi_divergence(v, z, alpha, temperature)
    d.sum().backward()
    assert torch.isfinite(d).all() and torch.isfinite(v.grad).all() and torch.isfinite(z.grad).all()
    torch.testing.assert_close(d, renyi_divergence(v.detach(), z.detach(), INF, temperature), rtol=1e-3, atol=1e-2)
