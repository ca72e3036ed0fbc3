"""Methods in the report: their Rényi order, their order in tables and figures, their labels, their colours.

What a method is comes from the data, never from parsing its name here: :func:`describe_methods` reads the
final runs' records (``runs.csv``: ``divergence``, ``alpha``, ``scaling``, ``transfer`` and the labels the
runs wrote from the family registry, ``label_text``/``label_latex``/``label_mpl``). A name with no record
(a theory figure's extra order) falls back to what the configuration's shorthand says it is
(:func:`renyi_kd.config.shorthand`: ce, kl, renyi-a{alpha}), else to the name itself.

The alpha axis (accuracy and tuned values against alpha) holds the Rényi methods in the family's default
(thesis) scaling, ``kl`` at alpha = 1; a Rényi order under another scaling is compared in the tables and
the forest plot instead, so no order appears twice on one axis.

One colour per method everywhere: :func:`method_palette` is the only place colours are chosen, and every
figure takes its colours from the mapping it returns.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd
import seaborn as sns

from renyi_kd.config import shorthand
from renyi_kd.labels import renyi_labels
from renyi_kd.losses import get_family

__all__ = [
    "REFERENCE_METHODS",
    "alpha_method_name",
    "describe_methods",
    "method_alpha",
    "method_label",
    "method_palette",
    "sort_methods",
]

logger = logging.getLogger(__name__)

REFERENCE_METHODS = ("ce", "kl")

# Indices into seaborn's 10-colour "colorblind" palette (Okabe-Ito-like). The student alone is the neutral
# grey, Hinton's KL the blue; the other methods take the rest, the pale yellow last because it reads badly on white.
_CE_COLOUR = 7
_KL_COLOUR = 0
_OTHER_COLOURS = (1, 2, 3, 4, 9, 5, 6, 8)
_STYLES = ("text", "latex", "mpl")


@dataclass(frozen=True)
class _Description:
    alpha: float | None  # the method's place on the alpha axis, if it has one
    student_alone: bool
    labels: dict[str, str]


_DESCRIBED: dict[str, _Description] = {}


def _present(value: object) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value)) and value != ""


def describe_methods(runs: pd.DataFrame) -> None:
    """Record what each method of ``runs`` is (see the module docstring), forgetting earlier records."""
    _DESCRIBED.clear()
    thesis = get_family("renyi").default_scaling
    for method, rows in runs.groupby("method", sort=False):
        row = rows.iloc[0]
        divergence = row.get("divergence")
        renyi = divergence == "renyi" and (not _present(row.get("scaling")) or row.get("scaling") == thesis)
        alpha = float(row["alpha"]) if renyi and _present(row.get("alpha")) else None
        labels = {style: str(row[f"label_{style}"]) for style in _STYLES if _present(row.get(f"label_{style}"))}
        alone = not _present(divergence)
        _DESCRIBED[str(method)] = _Description(alpha, alone, labels)


def _implied(method: str) -> _Description | None:
    if method in _DESCRIBED:
        return _DESCRIBED[method]
    implied = shorthand(method)
    if implied is None:
        return None
    return _Description(implied.get("alpha"), implied["divergence"] is None, {})


def method_alpha(method: str) -> float | None:
    """The method's Rényi order on the alpha axis (1 for ``kl``), else None."""
    described = _implied(method)
    return None if described is None else described.alpha


def _sort_key(method: str) -> tuple[int, float, str]:
    described = _implied(method)
    if method == "ce":
        return (0, 0.0, method)
    if described is not None and described.student_alone:
        return (1, 0.0, method)
    if method == "kl":
        return (2, 0.0, method)
    alpha = method_alpha(method)
    if alpha is not None:
        return (3, alpha, method)
    return (4, 0.0, method)


def sort_methods(methods: Iterable[str]) -> list[str]:
    """Unique methods in report order: ``ce`` and other students alone, ``kl``, Rényi methods by increasing
    alpha, then the rest by name."""
    return sorted(dict.fromkeys(methods), key=_sort_key)


def method_label(method: str, style: str = "text") -> str:
    """Human-readable label of a method: ``style`` is ``"text"`` (Markdown, Unicode), ``"latex"`` (math in
    ``$...$``, shortened for narrow tables) or ``"mpl"`` (matplotlib mathtext)."""
    if style not in _STYLES:
        raise ValueError(f"style must be 'text', 'latex' or 'mpl', got style={style!r}")
    described = _implied(method)
    if described is not None and style in described.labels:
        return described.labels[style]
    if described is not None and described.student_alone:
        return "CE (alone)" if style == "latex" else "CE (student alone)"
    alpha = method_alpha(method)
    if alpha is not None:
        return renyi_labels(alpha)[style]
    if style == "latex":
        from renyi_kd.report.formatting import latex_escape

        return latex_escape(method)
    return method


def method_palette(
    methods: Sequence[str], extra: Sequence[str] = ()
) -> dict[str, tuple[float, float, float]]:
    """Fixed colour per method from seaborn's colour-blind-safe ``"colorblind"`` palette.

    ``ce`` is grey and ``kl`` blue whatever else is present; the other methods take the remaining colours in
    report order (:func:`sort_methods`). The mapping therefore depends only on the method list, so every
    figure built from the same list agrees. ``extra`` names (e.g. orders drawn only in a theory figure) get
    the colours after those, so they never change the colour of a method in ``methods``. Beyond 10 methods
    colours repeat (a warning is logged) and :func:`method_line_styles` tells such methods apart.
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


_LINE_STYLES = ("-", "--", ":", "-.")


def method_line_styles(palette: dict[str, tuple[float, float, float]]) -> dict[str, str]:
    """A line style per method of ``palette`` that tells apart methods of the same colour (beyond 10 methods):
    the first method of a colour draws solid lines, the next one of that colour dashed, then dotted, dash-dot."""
    seen: dict[tuple[float, float, float], int] = {}
    styles = {}
    for method, colour in palette.items():
        earlier = seen.get(colour, 0)
        styles[method], seen[colour] = _LINE_STYLES[earlier % len(_LINE_STYLES)], earlier + 1
    return styles


def alpha_method_name(alpha: float) -> str:
    """Canonical method name for a Rényi order: ``kl`` for 1, else ``renyi-a{alpha:g}``."""
    if alpha == 1:
        return "kl"
    return f"renyi-a{alpha:g}"
