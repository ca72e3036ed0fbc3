"""Method names: their Rényi order, their order in tables and figures, their labels and their colours.

Method names follow DESIGN.md section 2: ``ce`` (student alone), ``kl`` (Hinton KD, the Rényi order
alpha = 1), ``renyi-a0`` (the alpha -> 0 limit, reverse KL) and ``renyi-a{alpha}``. Any other name (a future
divergence family) is kept, sorted after the Rényi methods, and has no alpha.

One colour per method everywhere: :func:`method_palette` is the only place colours are chosen, and every
figure takes its colours from the mapping it returns.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterable, Sequence

import seaborn as sns

__all__ = [
    "REFERENCE_METHODS",
    "alpha_method_name",
    "method_alpha",
    "method_label",
    "method_palette",
    "sort_methods",
]

logger = logging.getLogger(__name__)

REFERENCE_METHODS = ("ce", "kl")

_RENYI = re.compile(r"^renyi-a(?P<alpha>.+)$")

# Indices into seaborn's 10-colour "colorblind" palette (Okabe-Ito-like). The student alone is the neutral
# grey, Hinton's KL the blue; Rényi orders take the rest, the pale yellow last because it reads badly on white.
_CE_COLOUR = 7
_KL_COLOUR = 0
_OTHER_COLOURS = (1, 2, 3, 4, 9, 5, 6, 8)


def method_alpha(method: str) -> float | None:
    """The Rényi order of a method: 1 for ``kl``, alpha for ``renyi-a{alpha}`` (``inf`` allowed), else None."""
    if method == "kl":
        return 1.0
    match = _RENYI.match(method)
    if match is None:
        return None
    try:
        alpha = float(match["alpha"])
    except ValueError:
        return None
    return alpha if alpha >= 0 and not math.isnan(alpha) else None


def _sort_key(method: str) -> tuple[int, float, str]:
    if method == "ce":
        return (0, 0.0, method)
    if method == "kl":
        return (1, 0.0, method)
    alpha = method_alpha(method)
    if alpha is not None:
        return (2, alpha, method)
    return (3, 0.0, method)


def sort_methods(methods: Iterable[str]) -> list[str]:
    """Unique methods in report order: ``ce``, ``kl``, Rényi methods by increasing alpha, then the rest by name."""
    return sorted(dict.fromkeys(methods), key=_sort_key)


def method_label(method: str, style: str = "text") -> str:
    """Human-readable label of a method.

    ``style`` is ``"text"`` (Markdown, Unicode), ``"latex"`` (escaped, math in ``$...$``, shortened for
    narrow tables) or ``"mpl"`` (matplotlib mathtext).
    """
    if style not in ("text", "latex", "mpl"):
        raise ValueError(f"style must be 'text', 'latex' or 'mpl', got style={style!r}")
    if method == "ce":
        # LaTeX tables are narrow; their notes explain the short names.
        return "CE (alone)" if style == "latex" else "CE (student alone)"
    if method == "kl":
        return "KL (Hinton)"
    alpha = method_alpha(method)
    if alpha is None:
        if style == "latex":
            from renyi_kd.report.formatting import latex_escape

            return latex_escape(method)
        return method
    text = f"{alpha:g}"
    if style == "text":
        if alpha == 0:
            return "Rényi α→0 (reverse KL)"
        return f"Rényi α={'∞' if math.isinf(alpha) else text}"
    renyi = r"R\'enyi" if style == "latex" else "Rényi"
    if alpha == 0:
        return renyi + r" $\alpha\to 0$" + ("" if style == "latex" else " (reverse KL)")
    value = r"\infty" if math.isinf(alpha) else text
    return renyi + rf" $\alpha={value}$"


def method_palette(
    methods: Sequence[str], extra: Sequence[str] = ()
) -> dict[str, tuple[float, float, float]]:
    """Fixed colour per method from seaborn's colour-blind-safe ``"colorblind"`` palette.

    ``ce`` is grey and ``kl`` blue whatever else is present; the other methods take the remaining colours in
    report order (:func:`sort_methods`). The mapping therefore depends only on the method list, so every
    figure built from the same list agrees. ``extra`` names (e.g. orders drawn only in a theory figure) get
    the colours after those, so they never change the colour of a method in ``methods``. Beyond 10 methods
    colours repeat (a warning is logged).
    """
    colours = sns.color_palette("colorblind", 10)
    palette: dict[str, tuple[float, float, float]] = {}
    everything = list(dict.fromkeys(list(methods) + list(extra)))
    if "ce" in everything:
        palette["ce"] = colours[_CE_COLOUR]
    if "kl" in everything:
        palette["kl"] = colours[_KL_COLOUR]
    others = [m for m in sort_methods(methods) if m not in REFERENCE_METHODS]
    others += [m for m in sort_methods(extra) if m not in REFERENCE_METHODS and m not in others]
    if len(others) > len(_OTHER_COLOURS):
        logger.warning(
            "%d non-reference methods but only %d distinct colour-blind-safe colours: colours repeat",
            len(others),
            len(_OTHER_COLOURS),
        )
    for i, method in enumerate(others):
        palette[method] = colours[_OTHER_COLOURS[i % len(_OTHER_COLOURS)]]
    return palette


def alpha_method_name(alpha: float) -> str:
    """Canonical method name for a Rényi order: ``kl`` for 1, else ``renyi-a{alpha:g}``."""
    if alpha == 1:
        return "kl"
    return f"renyi-a{alpha:g}"
