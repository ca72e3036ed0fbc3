"""Limits and identities between the families, soft terms against their papers' formulas, standardisation."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from renyi_kd.losses import SoftTerm, divergence, kd_loss


@pytest.fixture
def pair() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(10)
    return 2 * torch.randn(6, 8, generator=g, dtype=torch.float64), 2 * torch.randn(6, 8, generator=g, dtype=torch.float64)


def kl(v: torch.Tensor, z: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
    """KL(softmax(v/T) || softmax(z/T)) per row, the classic way."""
    return F.kl_div(F.log_softmax(z / temperature, -1), F.log_softmax(v / temperature, -1), log_target=True,
                    reduction="none").sum(-1)


def close(a: torch.Tensor, b: torch.Tensor, rtol: float = 1e-12) -> None:
    torch.testing.assert_close(a, b, rtol=rtol, atol=1e-14)


# --- Amari ----------------------------------------------------------------------------------------------------


def test_amari_ends_are_the_two_kl_directions(pair) -> None:
    v, z = pair
    close(divergence("amari", v, z, alpha=1.0), kl(v, z))
    close(divergence("amari", v, z, alpha=0.0), kl(z, v))


@pytest.mark.parametrize(("alpha", "limit"), [(1e-7, 0.0), (1 - 1e-7, 1.0), (1 + 1e-7, 1.0)])
def test_amari_is_continuous_at_its_ends(pair, alpha: float, limit: float) -> None:
    v, z = pair
    for dtype in (torch.float64, torch.float32):
        near = divergence("amari", v.to(dtype), z.to(dtype), alpha=alpha)
        end = divergence("amari", v.to(dtype), z.to(dtype), alpha=limit)
        torch.testing.assert_close(near, end, rtol=1e-5, atol=0)  # the slope is O(1): 1e-7 moves it ~1e-7


@pytest.mark.parametrize("alpha", [0.0, 0.2, 0.5, 0.7, 1.0])
def test_amari_is_the_alpha_beta_divergence_on_the_line_alpha_plus_beta_one(pair, alpha: float) -> None:
    v, z = pair
    close(divergence("amari", v, z, alpha=alpha), divergence("alpha_beta", v, z, ab_alpha=alpha, ab_beta=1 - alpha), rtol=1e-11)


def test_amari_symmetry_swaps_the_order(pair) -> None:
    v, z = pair
    close(divergence("amari", v, z, alpha=0.3), divergence("amari", z, v, alpha=0.7))


# --- alpha-beta -----------------------------------------------------------------------------------------------


def test_alpha_beta_corners_are_kl_and_reverse_kl(pair) -> None:
    v, z = pair
    close(divergence("alpha_beta", v, z, ab_alpha=1.0, ab_beta=0.0), kl(v, z))
    close(divergence("alpha_beta", v, z, ab_alpha=0.0, ab_beta=1.0), kl(z, v))


def test_alpha_beta_origin_is_half_the_squared_log_ratio(pair) -> None:
    v, z = pair
    log_ratio = F.log_softmax(v, -1) - F.log_softmax(z, -1)
    close(divergence("alpha_beta", v, z, ab_alpha=0.0, ab_beta=0.0), 0.5 * (log_ratio**2).sum(-1))


@pytest.mark.parametrize(("near", "at"), [((1.0, 1e-8), (1.0, 0.0)), ((1e-8, 1.0), (0.0, 1.0)),
                                          ((1e-8, 1e-8), (0.0, 0.0)), ((0.5, 1e-8), (0.5, 0.0))])
def test_alpha_beta_is_continuous_at_its_limits(pair, near: tuple, at: tuple) -> None:
    v, z = pair
    for dtype in (torch.float64, torch.float32):
        a = divergence("alpha_beta", v.to(dtype), z.to(dtype), ab_alpha=near[0], ab_beta=near[1])
        b = divergence("alpha_beta", v.to(dtype), z.to(dtype), ab_alpha=at[0], ab_beta=at[1])
        torch.testing.assert_close(a, b, rtol=1e-5, atol=0)


def test_alpha_beta_accepts_the_papers_names_in_divergence_only(pair) -> None:
    v, z = pair
    close(divergence("alpha_beta", v, z, alpha=0.4, beta=0.9), divergence("alpha_beta", v, z, ab_alpha=0.4, ab_beta=0.9), 0)
    with pytest.raises(ValueError, match="ab_alpha"):
        divergence("alpha_beta", v, z, alpha=0.4, ab_alpha=0.4)
    with pytest.raises(ValueError, match="alpha is not a parameter"):  # in kd_loss beta is the soft-term weight
        kd_loss(z, v, None, divergence="alpha_beta", beta=0.5, temperature=1.0, alpha=0.4)


# --- Jensen-Shannon and skew KL -------------------------------------------------------------------------------


def test_js_is_symmetric_at_one_half_and_swaps_lam(pair) -> None:
    v, z = pair
    close(divergence("js", v, z, lam=0.5), divergence("js", z, v, lam=0.5))
    close(divergence("js", v, z, lam=0.2), divergence("js", z, v, lam=0.8))
    assert (divergence("js", v, z, lam=0.5) <= math.log(2)).all()


def chi_square(v: torch.Tensor, z: torch.Tensor, power: int = 2) -> torch.Tensor:
    """chi^2(P || Q) = sum_i q_i (p_i / q_i - 1)^2 per row (with ``power=3``, the next moment, in absolute value)."""
    p, q = F.softmax(v.double(), -1), F.softmax(z.double(), -1)
    return (q * (p / q - 1).abs() ** power).sum(-1)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("lam", [1e-5, 1e-8])
def test_js_vanishes_like_lam_times_kl(pair, lam: float, dtype: torch.dtype) -> None:
    # JS_lam / lam = KL(P || Q) - lam/2 chi^2(P || Q) + O(lam^2 chi^3): a tiny value keeps its relative accuracy
    v, z = (t.to(dtype) for t in pair)
    rtol = 1e-5 if dtype == torch.float32 else 1e-9
    near_one = 1 - lam
    small = 1 - near_one  # the lam that 1 - lam stands for once rounded
    for (a, b), weight, value in (((v, z), lam, divergence("js", v, z, lam=lam)),
                                  ((z, v), small, divergence("js", v, z, lam=near_one))):
        expected = kl(a.double(), b.double()) - weight / 2 * chi_square(a, b)
        remainder = weight**2 * chi_square(a, b, power=3)
        assert ((value.double() / weight - expected).abs() <= rtol * expected + remainder).all()


def test_skew_kl_ends(pair) -> None:
    v, z = pair
    close(divergence("skew_kl", v, z, lam=0.0), kl(v, z))
    assert torch.equal(divergence("skew_kl", v, z, lam=1.0), torch.zeros(v.shape[0], dtype=v.dtype))


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_skew_kl_vanishes_quadratically_with_a_chi_square_constant(pair, dtype: torch.dtype) -> None:
    # KL(P || P + e (Q - P)) = e^2/2 chi^2(Q || P) - e^3/3 sum_i (q_i - p_i)^3 / p_i^2 + O(e^4)
    v, z = (t.to(dtype) for t in pair)
    p, q = F.softmax(v.double(), -1), F.softmax(z.double(), -1)
    e = 1e-7
    expected = chi_square(z, v) / 2 - e / 3 * ((q - p) ** 3 / p**2).sum(-1)
    ratio = divergence("skew_kl", v, z, lam=1 - e).double() / e**2
    torch.testing.assert_close(ratio, expected, rtol=1e-5 if dtype == torch.float32 else 1e-7, atol=0)


# --- total variation -------------------------------------------------------------------------------------------


def test_tv_is_half_the_l1_distance(pair) -> None:
    v, z = pair
    close(divergence("tv", v, z), 0.5 * (F.softmax(v, -1) - F.softmax(z, -1)).abs().sum(-1))
    close(divergence("tv", v, z), divergence("tv", z, v))


def test_tv_keeps_relative_accuracy_for_nearly_equal_distributions() -> None:
    g = torch.Generator().manual_seed(11)
    v = torch.randn(4, 50, generator=g, dtype=torch.float64)
    z = v + 1e-6 * torch.randn(4, 50, generator=g, dtype=torch.float64)
    p, log_ratio = F.softmax(v, -1), F.log_softmax(v, -1) - F.log_softmax(z, -1)
    first_order = 0.5 * (p * log_ratio.abs()).sum(-1)  # |p - q| = p |log p - log q| (1 + O(1e-6))
    torch.testing.assert_close(divergence("tv", v, z), first_order, rtol=1e-5, atol=0)


# --- soft terms that are not a divergence of (P, Q) alone --------------------------------------------------------


def per_sample(name: str, teacher, student, targets, temperature: float, **params) -> torch.Tensor:
    return SoftTerm.build(name, temperature=temperature, **params).per_sample(student, teacher, targets)


@pytest.mark.parametrize("temperature", [1.0, 4.0])
def test_dkd_parts_recompose_kd(pair, temperature: float) -> None:
    # Zhao et al. (2022): KD = TCKD + (1 - p_t^T) NCKD, row by row
    v, z = pair
    y = torch.arange(v.shape[0]) % v.shape[1]
    tckd = per_sample("dkd", v, z, y, temperature, tckd_weight=1.0, nckd_weight=0.0)
    nckd = per_sample("dkd", v, z, y, temperature, tckd_weight=0.0, nckd_weight=1.0)
    p_target = F.softmax(v / temperature, -1).gather(1, y[:, None]).squeeze(1)
    close(tckd + (1 - p_target) * nckd, kl(v, z, temperature))
    close(per_sample("dkd", v, z, y, temperature, tckd_weight=2.0, nckd_weight=8.0), 2 * tckd + 8 * nckd)


def test_dkd_needs_the_labels(pair) -> None:
    v, z = pair
    with pytest.raises(ValueError, match="targets"):
        kd_loss(z, v, None, divergence="dkd", beta=1.0, temperature=4.0)
    with pytest.raises(ValueError, match="not a divergence of"):
        divergence("dkd", v, z)


@pytest.mark.parametrize("temperature", [0.5, 4.0])
def test_ttm_tempers_the_teacher_only(pair, temperature: float) -> None:
    v, z = pair
    y = torch.zeros(v.shape[0], dtype=torch.long)
    close(per_sample("ttm", v, z, y, temperature), kl(v / temperature, z))
    weight = (F.softmax(v, -1) ** (1 / temperature)).sum(-1)  # U_gamma(p) = sum_i p_i^gamma, gamma = 1/T
    close(per_sample("wttm", v, z, y, temperature), weight * kl(v / temperature, z))
    # TTM is KD at T = 1, and the weight is 1 there
    close(per_sample("wttm", v, z, y, 1.0), kl(v, z))


def test_ttm_takes_no_temperature_square(pair) -> None:
    v, z = pair
    for name in ("ttm", "wttm"):
        loss = kd_loss(z, v, None, divergence=name, beta=1.0, temperature=4.0)
        close(loss, per_sample(name, v, z, None, 4.0).mean())


# --- logit standardisation ------------------------------------------------------------------------------------


def z_score(logits: torch.Tensor) -> torch.Tensor:
    mean = logits.mean(-1, keepdim=True)
    return (logits - mean) / ((logits - mean) ** 2).mean(-1, keepdim=True).sqrt()


@pytest.mark.parametrize("name", ["renyi", "kl", "js", "tv", "alpha_beta"])
def test_standardize_z_scores_both_sides_before_the_temperature(pair, name: str) -> None:
    v, z = pair
    close(divergence(name, v, z, temperature=2.0, standardize=True), divergence(name, z_score(v), z_score(z), temperature=2.0))
    # the point of it (Sun et al. 2024): only the logits' relations matter, not their range or shift
    shifted = divergence(name, 3 * v + 1, 0.2 * z - 5, temperature=2.0, standardize=True)
    close(shifted, divergence(name, v, z, temperature=2.0, standardize=True), rtol=1e-10)


def test_standardize_applies_to_the_soft_term_only(pair) -> None:
    v, z = pair
    y = torch.arange(v.shape[0]) % v.shape[1]
    loss = kd_loss(z, v, y, divergence="dkd", beta=0.4, temperature=2.0, standardize=True)
    expected = 0.6 * F.cross_entropy(z, y) + 0.4 * 4.0 * per_sample("dkd", z_score(v), z_score(z), y, 2.0).mean()
    close(loss, expected)


def test_standardize_turns_a_constant_row_into_the_uniform_distribution() -> None:
    v = torch.tensor([[0.1, 0.1, 0.1], [1.0, 2.0, 4.0]], dtype=torch.float64, requires_grad=True)
    z = torch.tensor([[0.0, 1.0, -1.0], [0.3, 0.3, 0.3]], dtype=torch.float64)
    value = divergence("kl", v, z, standardize=True)
    uniform = torch.zeros(1, 3, dtype=torch.float64)
    close(value, torch.cat([kl(uniform, z_score(z[:1])), kl(z_score(v.detach()[1:]), uniform)]))
    value.sum().backward()
    assert torch.isfinite(v.grad).all() and torch.equal(v.grad[0], torch.zeros(3, dtype=torch.float64))
