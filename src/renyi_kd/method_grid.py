"""Grids of methods written as one config entry, and names that stand for a grid's cells.

A ``methods`` entry whose name holds ``{placeholders}`` is a grid: each placeholder names a setting of the entry
whose value is a list, and the entry stands for one method per combination of those values (the setting written
first varying slowest), named by filling the placeholders; its other settings are shared by every cell, and a
cell without its own ``label`` is labelled by its name (tables and figures must tell the cells apart). Numbers
are written shortest (``1.0`` -> ``1``, ``0.25`` -> ``0.25``), so names are the same however YAML typed the
value::

    renyi-a{alpha}-T{T}: {divergence: renyi, alpha: [0, 1], T: [1, 4]}
    # renyi-a0-T1, renyi-a0-T4, renyi-a1-T1, renyi-a1-T4, each {divergence: renyi, alpha: .., T: .., label: ..}

A placeholder is a plain name (no format spec), and a value's text holds no ``-`` but a leading sign or an
exponent's (``1e-05``), so a name
reads back into its values one way only (:func:`cell_fields`, which the report's grid questions use:
:mod:`renyi_kd.report.questions`).
"""

from __future__ import annotations

import itertools
import re
import string
from collections.abc import Mapping
from typing import Any

__all__ = ["GridError", "cell_fields", "check_template", "expand_methods", "fill", "is_template", "placeholders"]

_VALUE = r"-?(?:[^-]|(?<=\de)-)+"  # a placeholder's text: no '-' but a leading sign or an exponent's (1e-05)


class GridError(ValueError):
    """A grid entry or template that cannot be used; ``key`` is the config key to change."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


def is_template(name: str) -> bool:
    return "{" in name or "}" in name


def check_template(template: str, key: str) -> list[str]:
    """The placeholders of ``template`` in order; :class:`GridError` naming ``key`` unless each is a plain name
    used once."""
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as error:
        raise GridError(key, f"{template!r} is not a template: {error}") from None
    names = [field for _, field, spec, conversion in parts if field is not None]
    bad = [f for _, f, spec, conversion in parts if f is not None and (not f.isidentifier() or spec or conversion)]
    if bad or len(set(names)) != len(names):
        raise GridError(key, f"{template!r}: each placeholder must be a plain setting name, used once "
                        "(e.g. renyi-a{alpha}-T{T})")
    return names


def placeholders(template: str) -> list[str]:
    """The placeholder names of ``template`` in order (a checked template: :func:`check_template`)."""
    return [field for _, field, _, _ in string.Formatter().parse(template) if field is not None]


def _text(value: Any) -> str:
    """A value as a name writes it: integral numbers without a point, others at full precision."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def fill(template: str, values: Mapping[str, Any]) -> str:
    """``template`` with each placeholder replaced by its value (numbers written shortest)."""
    return template.format(**{name: _text(values[name]) for name in placeholders(template)})


def cell_fields(template: str, name: str) -> dict[str, str] | None:
    """The placeholder values that make ``name`` from ``template`` (as text), or None when it does not fit."""
    pattern = "".join(
        re.escape(literal) + ("" if field is None else f"(?P<{field}>{_VALUE})")
        for literal, field, _, _ in string.Formatter().parse(template)
    )
    match = re.fullmatch(pattern, name)
    return None if match is None else match.groupdict()


def _expand(template: str, entry: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    key = f"methods.{template}"
    names = check_template(template, key)
    for name in names:
        if not isinstance(entry.get(name), list) or not entry[name]:
            raise GridError(f"{key}.{name}", f"the name's placeholder {{{name}}} needs a non-empty list of values")
        for value in entry[name]:
            if not re.fullmatch(_VALUE, _text(value)):
                raise GridError(f"{key}.{name}", f"{value!r}: a value in a method's name holds no '-' but a sign or an "
                               "exponent's")
    axes = [setting for setting in entry if setting in names]  # in the entry's order
    cells: dict[str, dict[str, Any]] = {}
    for values in itertools.product(*(entry[name] for name in axes)):
        cell = {**entry, **dict(zip(axes, values))}
        name = fill(template, cell)
        if name in cells:
            raise GridError(key, f"two cells are both named {name!r}: the values of a placeholder must differ")
        cells[name] = {**cell, "label": cell.get("label", name)}
    return cells


def expand_methods(methods: Mapping[str, Any]) -> dict[str, Any]:
    """``methods`` with every grid entry replaced by its cells, in place of the entry; a name given twice (a cell
    and a plain entry, or two grids) raises :class:`GridError`."""
    expanded: dict[str, Any] = {}
    for name, entry in methods.items():
        if not is_template(name):
            cells = {name: entry}
        elif isinstance(entry, Mapping):
            cells = _expand(name, entry)
        else:
            raise GridError(f"methods.{name}", "a grid entry sets its placeholders' lists of values")
        for cell in cells:
            if cell in expanded:
                raise GridError(f"methods.{name}", f"method {cell!r} is configured twice")
        expanded.update(cells)
    return expanded
