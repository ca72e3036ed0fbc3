"""Grids of methods written as one config entry, and names that stand for a grid's cells.

A ``methods`` entry whose name holds ``{placeholders}`` is a grid: each placeholder names a setting of the entry
whose value is a list, and the entry stands for one method per combination of those values (the setting written
first varying slowest), named by filling the placeholders; its other settings are shared by every cell. Numbers are written with ``g`` (``1.0`` -> ``1``, ``0.25``
-> ``0.25``), so names are the same however YAML typed the value::

    renyi-a{alpha}-T{T}: {divergence: renyi, alpha: [0, 1], T: [1, 4]}
    # renyi-a0-T1, renyi-a0-T4, renyi-a1-T1, renyi-a1-T4, each {divergence: renyi, alpha: .., T: ..}

The report's questions use the same templates to pair a grid's cells (:mod:`renyi_kd.report.questions`):
:func:`cell_fields` reads the values back from a name.
"""

from __future__ import annotations

import itertools
import re
import string
from collections.abc import Mapping
from typing import Any

__all__ = ["GridError", "cell_fields", "expand_methods", "fill", "is_template", "placeholders"]


class GridError(ValueError):
    """A grid entry that cannot be expanded; ``key`` is the config key to change."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


def is_template(name: str) -> bool:
    return "{" in name


def placeholders(template: str) -> list[str]:
    """The placeholder names of ``template`` in order (each once)."""
    names = [field for _, field, _, _ in string.Formatter().parse(template) if field is not None]
    return list(dict.fromkeys(names))


def _text(value: Any) -> str:
    return format(value, "g") if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)


def fill(template: str, values: Mapping[str, Any]) -> str:
    """``template`` with each placeholder replaced by its value (numbers in ``g`` format)."""
    return template.format(**{name: _text(values[name]) for name in placeholders(template)})


def cell_fields(template: str, name: str) -> dict[str, str] | None:
    """The placeholder values that make ``name`` from ``template`` (as text), or None when it does not fit."""
    pattern = "".join(
        re.escape(literal) + ("" if field is None else f"(?P<{field}>.+?)")
        for literal, field, _, _ in string.Formatter().parse(template)
    )
    match = re.fullmatch(pattern, name)
    return None if match is None else match.groupdict()


def _expand(template: str, entry: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    key = f"methods.{template}"
    axes = [setting for setting in entry if setting in placeholders(template)]  # in the entry's order
    for name in placeholders(template):
        if not isinstance(entry.get(name), list) or not entry[name]:
            raise GridError(f"{key}.{name}", f"the name's placeholder {{{name}}} needs a non-empty list of values")
    cells: dict[str, dict[str, Any]] = {}
    for values in itertools.product(*(entry[name] for name in axes)):
        cell = {**entry, **dict(zip(axes, values))}
        name = fill(template, cell)
        if name in cells:
            raise GridError(key, f"two cells are both named {name!r}: the values of a placeholder must differ")
        cells[name] = cell
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
