"""Methods in the report: their roles, their Rényi order, their order in tables and figures, labels and colours.

What a method is comes from the data, never from its name: :meth:`MethodCatalog.from_runs` reads the final
runs' records (``runs.csv``: ``divergence``, ``alpha``, ``scaling`` and the labels the runs wrote from the family
registry, ``label_text``/``label_latex``/``label_mpl``). A name with no record (a theory figure's extra order)
falls back to what the configuration's shorthand says it is (:func:`renyi_kd.config.shorthand`), else to the
name itself. The catalog is built once per report and handed to every table and figure; there is no module state.

Roles: a method without a divergence is *the student alone*; the configured ``report.equivalence_reference`` is
*the reference*. The report reads these roles, never method names.

The alpha axis (accuracy and tuned values against alpha) holds the Rényi methods in the family's default
(thesis) scaling, order 1 (KL) included; a Rényi order under another scaling is compared in the tables and the
forest plot instead, so no order appears twice on one axis.

One colour per method everywhere: :meth:`MethodCatalog.palette` is the only place colours are chosen.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import pandas as pd
import seaborn as sns

from renyi_kd.config import shorthand
from renyi_kd.labels import renyi_labels
from renyi_kd.losses import get_family

__all__ = ["MethodCatalog", "MethodRecord", "Palette"]

logger = logging.getLogger(__name__)

Palette = Mapping[str, tuple[float, float, float]]

# Indices into seaborn's 10-colour "colorblind" palette (Okabe-Ito-like). The student alone is the neutral
# grey, the reference the blue; the other methods take the rest, the pale yellow last because it reads badly on white.
_ALONE_COLOUR = 7
_REFERENCE_COLOUR = 0
_OTHER_COLOURS = (1, 2, 3, 4, 9, 5, 6, 8)
_STYLES = ("text", "latex", "mpl")
_LINE_STYLES = ("-", "--", ":", "-.")


@dataclass(frozen=True)
class MethodRecord:
    """What the report knows of one method."""

    alpha: float | None  # the method's place on the alpha axis, if it has one
    student_alone: bool
    labels: dict[str, str] = field(default_factory=dict)


def _present(value: object) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value)) and value != ""


def _record(row: pd.Series) -> MethodRecord:
    thesis = get_family("renyi").default_scaling
    divergence = row.get("divergence")
    renyi = divergence == "renyi" and (not _present(row.get("scaling")) or row.get("scaling") == thesis)
    alpha = float(row["alpha"]) if renyi and _present(row.get("alpha")) else None
    labels = {style: str(row[f"label_{style}"]) for style in _STYLES if _present(row.get(f"label_{style}"))}
    return MethodRecord(alpha, not _present(divergence), labels)


class MethodCatalog:
    """The methods of one report: records from runs.csv, the colour order and the equivalence reference.

    ``methods``: the methods that get colours, in the order that fixes them (default: the records' methods in
    report order); ``reference``: the equivalence reference (``report.equivalence_reference``), if any.
    """

    def __init__(self, records: Mapping[str, MethodRecord] | None = None, methods: Sequence[str] | None = None,
                 reference: str | None = None) -> None:
        self.records = dict(records or {})
        self.reference = reference
        self.methods = list(dict.fromkeys(methods)) if methods is not None else self.sort(self.records)

    @classmethod
    def from_runs(cls, runs: pd.DataFrame | None, methods: Sequence[str] | None = None,
                  reference: str | None = None) -> MethodCatalog:
        """The catalog of the methods of ``runs`` (one record per method, from its first run)."""
        groups = () if runs is None else runs.groupby("method", sort=False)
        records = {str(method): _record(rows.iloc[0]) for method, rows in groups}
        return cls(records, methods, reference)

    def record(self, method: str) -> MethodRecord | None:
        if method in self.records:
            return self.records[method]
        implied = shorthand(method)
        if implied is None:
            return None
        return MethodRecord(implied.get("alpha"), implied["divergence"] is None)

    def alpha(self, method: str) -> float | None:
        """The method's Rényi order on the alpha axis, else None."""
        record = self.record(method)
        return None if record is None else record.alpha

    def student_alone(self, method: str) -> bool:
        record = self.record(method)
        return record is not None and record.student_alone

    def alone(self, methods: Iterable[str]) -> str | None:
        """The first method of ``methods`` trained without a teacher (report order), or None."""
        return next((m for m in self.sort(methods) if self.student_alone(m)), None)

    def _sort_key(self, method: str) -> tuple[int, float, str]:
        if self.student_alone(method):
            return (0, 0.0, method)
        if method == self.reference:
            return (1, 0.0, method)
        alpha = self.alpha(method)
        if alpha is not None:
            return (2, alpha, method)
        return (3, 0.0, method)

    def sort(self, methods: Iterable[str]) -> list[str]:
        """Unique methods in report order: students alone, the reference, Rényi methods by increasing alpha,
        then the rest by name."""
        return sorted(dict.fromkeys(methods), key=self._sort_key)

    def label(self, method: str, style: str = "text") -> str:
        """Human-readable label of a method: ``style`` is ``"text"`` (Markdown, Unicode), ``"latex"`` (math in
        ``$...$``, shortened for narrow tables) or ``"mpl"`` (matplotlib mathtext)."""
        if style not in _STYLES:
            raise ValueError(f"style must be 'text', 'latex' or 'mpl', got style={style!r}")
        record = self.record(method)
        if record is not None and style in record.labels:
            return record.labels[style]
        if record is not None and record.student_alone:
            return "CE (alone)" if style == "latex" else "CE (student alone)"
        if record is not None and record.alpha is not None:
            return renyi_labels(record.alpha)[style]
        if style == "latex":
            from renyi_kd.report.formatting import latex_escape

            return latex_escape(method)
        return method

    def palette(self, extra: Sequence[str] = ()) -> dict[str, tuple[float, float, float]]:
        """Fixed colour per method from seaborn's colour-blind-safe ``"colorblind"`` palette.

        The first student alone is grey and the reference blue whatever else is present; the other methods take
        the remaining colours in report order. The mapping depends only on the method list, so every figure
        agrees. ``extra`` names (orders drawn only in a theory figure) get the colours after those, in their order,
        so they never change a method's colour. Beyond 10 methods colours repeat (logged) and
        :func:`method_line_styles` tells such methods apart.
        """
        colours = sns.color_palette("colorblind", 10)
        palette: dict[str, tuple[float, float, float]] = {}
        alone = self.alone(self.methods)
        roles = {alone: _ALONE_COLOUR, self.reference: _REFERENCE_COLOUR}
        for method, colour in roles.items():
            if method is not None and method in self.methods + list(extra):
                palette[method] = colours[colour]
        others = [m for m in self.sort(self.methods) if m not in roles]
        others += [m for m in dict.fromkeys(extra) if m not in roles and m not in others]
        if len(others) > len(_OTHER_COLOURS):
            logger.warning("%d methods besides the roles but only %d distinct colour-blind-safe colours: colours "
                           "repeat", len(others), len(_OTHER_COLOURS))  # fmt: skip
        for i, method in enumerate(others):
            palette[method] = colours[_OTHER_COLOURS[i % len(_OTHER_COLOURS)]]
        return palette

    @cached_property
    def colours(self) -> dict[str, tuple[float, float, float]]:
        """:meth:`palette` of the catalog's methods."""
        return self.palette()

    def with_alpha(self, alpha: float) -> str | None:
        """The catalog's method at Rényi order ``alpha`` on the alpha axis, if one is."""
        return next((m for m in self.methods if self.alpha(m) == alpha), None)


def method_line_styles(palette: Palette) -> dict[str, str]:
    """A line style per method of ``palette`` that tells apart methods of the same colour (beyond 10 methods):
    the first method of a colour draws solid lines, the next one of that colour dashed, then dotted, dash-dot."""
    seen: dict[tuple[float, float, float], int] = {}
    styles = {}
    for method, colour in palette.items():
        earlier = seen.get(colour, 0)
        styles[method], seen[colour] = _LINE_STYLES[earlier % len(_LINE_STYLES)], earlier + 1
    return styles
