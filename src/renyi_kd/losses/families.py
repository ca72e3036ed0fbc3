"""The built-in divergence families: one record each (the functions live in their own modules).

Parameter names are unambiguous across the project: ``alpha`` is an order of the sum
``sum_i p_i^alpha q_i^(1 - alpha)`` (Rényi, Amari), ``beta`` is never a family parameter (it weights the
soft term), so the alpha-beta divergence has ``ab_alpha``/``ab_beta`` and DKD ``tckd_weight``/``nckd_weight``.
"""

from __future__ import annotations

import math

from renyi_kd.losses.params import Param, SearchRange
from renyi_kd.losses.registry import Family, register_family

_PACKAGE = "renyi_kd.losses"


def _names(text: str, latex: str | None = None, mpl: str | None = None) -> dict[str, str]:
    return {"text": text, "latex": text if latex is None else latex, "mpl": text if mpl is None else mpl}


def _order(default: float, high: float, *, high_open: bool, search: SearchRange) -> Param:
    return Param("alpha", default, 0.0, high, _names("α", r"\alpha", r"\alpha"), search=search, high_open=high_open,
                 doc="order of the sum sum_i p_i^alpha q_i^(1 - alpha)")


def _mixture_weight(*, open_ends: bool, default: float, search: SearchRange) -> Param:
    return Param("lam", default, 0.0, 1.0, _names("λ", r"\lambda", r"\lambda"), search=search,
                 low_open=open_ends, high_open=open_ends, doc="weight of P in the mixture M = lam P + (1 - lam) Q")


_SECOND_ORDER = "second order in P - Q like KL: its gradient falls as 1/T^2 (Hinton et al. 2015)"
_UNTEMPERED_STUDENT = "Zheng & Yang 2024 apply no T^2: the student is not tempered, so its gradient does not fall with T"

BUILTIN_FAMILIES = (
    Family(
        name="renyi",
        function=f"{_PACKAGE}.renyi:renyi",
        per_order=f"{_PACKAGE}.renyi:renyi_per_order",
        order="alpha",
        params=(_order(1.0, math.inf, high_open=False, search=SearchRange(0.25, 4.0, log=True)),),
        default_scaling="thesis",
        scaling_reason="T^2/alpha keeps the high-temperature gradient (z - v)/n for every order; alpha -> 0 is T^2 KL(Q||P)",
        display=_names("Rényi", r"R\'enyi"),
        reference="Rényi 1961; van Erven & Harremoës 2014",
    ),
    Family(
        name="kl",
        function=f"{_PACKAGE}.kl:kl",
        params=(),
        default_scaling="hinton",
        scaling_reason=_SECOND_ORDER,
        display=_names("KL"),
        reference="Hinton, Vinyals & Dean 2015",
    ),
    Family(
        name="reverse_kl",
        function=f"{_PACKAGE}.kl:reverse_kl",
        params=(),
        default_scaling="hinton",
        scaling_reason=_SECOND_ORDER,
        display=_names("reverse KL"),
        reference="KL(Q || P), the mode-seeking direction",
    ),
    Family(
        name="amari",
        function=f"{_PACKAGE}.amari:amari",
        params=(_order(0.5, math.inf, high_open=True, search=SearchRange(0.0, 1.0)),),
        default_scaling="hinton",
        scaling_reason=_SECOND_ORDER,
        display=_names("Amari"),
        reference="Amari 1985; Cichocki & Amari 2010",
    ),
    Family(
        name="alpha_beta",
        function=f"{_PACKAGE}.alpha_beta:alpha_beta",
        params=(
            Param("ab_alpha", 0.8, 0.0, math.inf, _names("α_AB", r"\alpha_{\mathrm{AB}}", r"\alpha_{\mathrm{AB}}"),
                  search=SearchRange(0.2, 1.4),
                  high_open=True, alias="alpha", doc="exponent of p (alpha in Cichocki et al. 2011)"),
            Param("ab_beta", 0.3, 0.0, math.inf, _names("β_AB", r"\beta_{\mathrm{AB}}", r"\beta_{\mathrm{AB}}"),
                  search=SearchRange(0.0, 1.0),
                  high_open=True, alias="beta", doc="exponent of q (beta in Cichocki et al. 2011)"),
        ),
        default_scaling="hinton",
        scaling_reason=_SECOND_ORDER,
        display=_names("AB"),
        reference="Cichocki, Cruces & Amari 2011; Wang et al., ICML 2025 (ABKD; defaults from its CIFAR-100 runs)",
    ),
    Family(
        name="js",
        function=f"{_PACKAGE}.mixtures:js",
        params=(_mixture_weight(open_ends=True, default=0.5, search=SearchRange(0.05, 0.95)),),
        default_scaling="hinton",
        scaling_reason=_SECOND_ORDER,
        display=_names("JS"),
        reference="Lin 1991",
    ),
    Family(
        name="tv",
        function=f"{_PACKAGE}.tv:tv",
        params=(),
        default_scaling="linear",
        scaling_reason="first order in P - Q: its gradient falls as 1/T, so T (not T^2) keeps it independent of T",
        display=_names("TV"),
        reference="total variation distance",
    ),
    Family(
        name="skew_kl",
        function=f"{_PACKAGE}.mixtures:skew_kl",
        params=(_mixture_weight(open_ends=False, default=0.1, search=SearchRange(0.0, 0.9)),),
        default_scaling="hinton",
        scaling_reason=_SECOND_ORDER,
        display=_names("skew KL"),
        reference="Lee 1999; Ko et al., ICML 2024 (DistiLLM)",
    ),
    Family(
        name="dkd",
        function=f"{_PACKAGE}.decoupled:dkd",
        params=(
            Param("tckd_weight", 1.0, 0.0, math.inf, _names("w_TC", r"w_{\mathrm{TC}}", r"w_{\mathrm{TC}}"),
                  search=SearchRange(0.25, 4.0, log=True), high_open=True, doc="weight of TCKD (alpha in the paper)"),
            Param("nckd_weight", 8.0, 0.0, math.inf, _names("w_NC", r"w_{\mathrm{NC}}", r"w_{\mathrm{NC}}"),
                  search=SearchRange(1.0, 16.0, log=True), high_open=True, doc="weight of NCKD (beta in the paper)"),
        ),
        default_scaling="hinton",
        scaling_reason="Zhao et al. 2022 multiply both parts by T^2, as Hinton's KD",
        display=_names("DKD"),
        pointwise=False,
        needs_targets=True,
        reference="Zhao et al., CVPR 2022 (defaults from its CIFAR-100 runs)",
    ),
    Family(
        name="ttm",
        function=f"{_PACKAGE}.teacher_temperature:ttm",
        params=(),
        default_scaling="none",
        scaling_reason=_UNTEMPERED_STUDENT,
        display=_names("TTM"),
        pointwise=False,
        reference="Zheng & Yang, ICLR 2024",
    ),
    Family(
        name="wttm",
        function=f"{_PACKAGE}.teacher_temperature:wttm",
        params=(),
        default_scaling="none",
        scaling_reason=_UNTEMPERED_STUDENT,
        display=_names("WTTM"),
        pointwise=False,
        reference="Zheng & Yang, ICLR 2024",
    ),
)

for _family in BUILTIN_FAMILIES:
    register_family(_family)
