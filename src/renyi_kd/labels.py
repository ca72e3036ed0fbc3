"""How a method is named in tables and figures, in each style (text: Markdown/Unicode, latex, mpl: matplotlib
mathtext), derived from the method's record and the family registry, never from its config name.

The student alone is "CE (student alone)" (on the whole train split: "CE, all of train"; with label smoothing:
"CE + label smoothing"); the Rényi order 1 is "KL (Hinton)" and order 0 "Rényi α→0 (reverse KL)"; every other
method is its family's label with its parameters (e.g. "JS λ=0.5"), then what differs from the family's
defaults: another scaling ("s=T²"), logit standardisation ("+ logit std."). A method's own ``label`` wins.
"""

from __future__ import annotations

from renyi_kd.config import Method
from renyi_kd.losses import LABEL_STYLES, Family, get_family, get_scaling
from renyi_kd.losses.params import format_value

_STUDENT = {"text": "CE (student alone)", "latex": "CE (alone)", "mpl": "CE (student alone)"}
_ALL_TRAIN = {"text": "CE, all of train", "latex": "CE, all train", "mpl": "CE, all of train"}
_SMOOTHED = {"text": " + label smoothing", "latex": " + LS", "mpl": " + label smoothing"}
_KL = dict.fromkeys(LABEL_STYLES, "KL (Hinton)")
_REVERSE = {"text": "Rényi α→0 (reverse KL)", "latex": r"R\'enyi $\alpha\to 0$", "mpl": r"Rényi $\alpha\to 0$ (reverse KL)"}
_STANDARDIZED = {"text": " + logit std.", "latex": " + std.", "mpl": " + logit std."}


def _scaling_note(formula: str, style: str) -> str:
    text = formula.replace("T^2", "T²")
    if style == "text":
        return f", s={text}"
    return f", $s={formula.replace('alpha', chr(92) + 'alpha')}$"


def _math(text: str, style: str) -> str:
    return text if style == "text" else f"${text}$"


def _family_label(family: Family, method: Method, style: str) -> str:
    """The family's name, its fixed parameters' values and the names of those the method tunes."""
    parts = [family.display[style]]
    parts += [_math(f"{p.symbol[style]}={format_value(method.params[p.name], style)}", style)
              for p in family.params if p.name not in method.tune]
    tuned = [_math(p.symbol[style], style) for p in family.params if p.name in method.tune]
    if tuned:
        parts.append(f"(tuned {', '.join(tuned)})")
    return " ".join(parts)


def renyi_labels(alpha: float) -> dict[str, str]:
    """A Rényi order in every style: "KL (Hinton)" at 1, the reverse-KL limit at 0, else "Rényi α=..."."""
    if alpha == 1.0:
        return dict(_KL)
    if alpha == 0.0:
        return dict(_REVERSE)
    return {style: get_family("renyi").label({"alpha": alpha}, style) for style in LABEL_STYLES}


def method_labels(method: Method) -> dict[str, str]:
    """The method's label in every style of :data:`renyi_kd.losses.LABEL_STYLES`."""
    if method.label:
        return dict.fromkeys(LABEL_STYLES, method.label)
    if not method.uses_teacher:
        base = _ALL_TRAIN if method.transfer == "train" else _STUDENT
        smoothed = method.label_smoothing > 0 or "label_smoothing" in method.tune
        return {style: base[style] + (_SMOOTHED[style] if smoothed else "") for style in LABEL_STYLES}
    family = get_family(method.divergence)
    if method.alpha is not None and "alpha" not in method.tune:
        labels = renyi_labels(method.alpha)
    else:
        labels = {style: _family_label(family, method, style) for style in LABEL_STYLES}
    if method.scaling != family.default_scaling:
        formula = get_scaling(method.scaling).formula
        labels = {style: label + _scaling_note(formula, style) for style, label in labels.items()}
    if method.standardize:
        labels = {style: label + _STANDARDIZED[style] for style, label in labels.items()}
    return labels
