"""The registry of divergence families: every family is one :class:`Family` record in :data:`FAMILIES`.

The configuration, the tuner and the report read this registry; nothing else lists families or parses
their names. Pure Python (no torch): a record names its functions by import path (``"module:function"``)
or holds them directly, and they are imported on first use.

A new family is one function and one record::

    def hellinger(log_p, log_q):            # pointwise: log-probabilities at temperature T -> [batch]
        return 1 - torch.exp(0.5 * (log_p + log_q)).sum(-1)

    register_family(Family(name="hellinger", function=hellinger, params=(), default_scaling="hinton",
                           scaling_reason="second order in P - Q", display=dict.fromkeys(LABEL_STYLES, "Hellinger")))
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import import_module
from typing import Any, Callable, Mapping

from renyi_kd.losses.params import LABEL_STYLES, Param, format_value
from renyi_kd.losses.scalings import Scaling, get_scaling

FunctionRef = Callable[..., Any] | str

# Keyword arguments of kd_loss and DistillationLoss: a family parameter with one of these names would be
# ambiguous there (beta is the weight of the soft term everywhere).
RESERVED_NAMES = frozenset(
    {"beta", "temperature", "T", "scaling", "standardize", "label_smoothing", "divergence", "targets"}
)


@lru_cache(maxsize=None)
def _import(ref: str) -> Callable[..., Any]:
    module, _, attr = ref.partition(":")
    return getattr(import_module(module), attr)


def _resolve(ref: FunctionRef) -> Callable[..., Any]:
    return _import(ref) if isinstance(ref, str) else ref


@dataclass(frozen=True)
class Family:
    """A divergence family (or soft term) as data.

    ``function``: for a ``pointwise`` family, ``f(log_p, log_q, **params) -> Tensor[batch]`` with
    ``log_p = log softmax(v / T)`` of the teacher (or first argument) and ``log_q`` of the student; otherwise
    ``f(teacher_logits, student_logits, targets, *, temperature, **params) -> Tensor[batch]`` (unscaled).
    ``params``: ordered parameter specs. ``default_scaling``: the name of a scaling in
    :data:`renyi_kd.losses.scalings.SCALINGS`, with ``scaling_reason`` saying why in one line.
    ``display``: the family's name in each label style. ``needs_targets``: the soft term uses the labels.
    ``per_order``: the divergence divided by its order parameter ``order``, with its limit at order 0
    (pointwise, same signature as ``function``); only families that have it accept the thesis scaling.
    ``reference``: where the formula comes from.
    """

    name: str
    function: FunctionRef
    params: tuple[Param, ...]
    default_scaling: str
    scaling_reason: str
    display: Mapping[str, str]
    pointwise: bool = True
    needs_targets: bool = False
    per_order: FunctionRef | None = None
    order: str | None = None
    reference: str = ""

    def __post_init__(self) -> None:
        names = [param.name for param in self.params]
        if len(set(names)) != len(names):
            raise ValueError(f"family {self.name!r} declares a parameter twice: {names}")
        clash = RESERVED_NAMES.intersection(names)
        if clash:
            raise ValueError(f"family {self.name!r}: parameter names {sorted(clash)} are reserved for kd_loss")
        if set(LABEL_STYLES) - set(self.display):
            raise ValueError(f"family {self.name!r} needs a display name for each label style {LABEL_STYLES}")
        if self.needs_targets and self.pointwise:
            raise ValueError(f"family {self.name!r}: a soft term that needs the labels is not pointwise")
        if (self.per_order is None) != (self.order is None) or (self.order is not None and self.order not in names):
            raise ValueError(f"family {self.name!r}: per_order and order (one of its parameters) come together")
        self.scaling(self.default_scaling)

    @property
    def fn(self) -> Callable[..., Any]:
        """The family's function (imported on first use)."""
        return _resolve(self.function)

    @property
    def per_order_fn(self) -> Callable[..., Any] | None:
        return None if self.per_order is None else _resolve(self.per_order)

    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(param.name for param in self.params)

    def resolve_params(self, params: Mapping[str, object], *, aliases: bool = False) -> dict[str, float]:
        """Checked values of every parameter, defaults filled in; ValueError naming any bad argument.

        With ``aliases`` the papers' names declared by the parameters are accepted too.
        """
        given = dict(params)
        if aliases:
            for param in self.params:
                if param.alias is not None and param.alias in given:
                    if param.name in given:
                        raise ValueError(f"{param.alias} and {param.name} name the same parameter: give one")
                    given[param.name] = given.pop(param.alias)
        unknown = sorted(set(given) - set(self.param_names))
        if unknown:
            raise ValueError(
                f"{unknown[0]} is not a parameter of divergence={self.name!r} "
                f"(its parameters: {list(self.param_names) or 'none'})"
            )
        return {param.name: param.check(given.get(param.name, param.default)) for param in self.params}

    def scaling(self, name: str | None = None) -> Scaling:
        """The scaling ``name`` (None: the family's default) if this family admits it; else ValueError."""
        scaling = get_scaling(self.default_scaling if name is None else name)
        if scaling.per_order and self.per_order is None:
            raise ValueError(
                f"scaling={scaling.name!r} divides by the order ({scaling.formula}), which divergence={self.name!r} "
                f"does not have: use scaling='hinton' or leave scaling=None for its default {self.default_scaling!r}"
            )
        return scaling

    def label(self, params: Mapping[str, float] | None = None, style: str = "text") -> str:
        """The family with its parameters for tables and figures, e.g. ``Rényi α=0.5`` (text),
        ``R\\'enyi $\\alpha=0.5$`` (latex) or ``Rényi $\\alpha=0.5$`` (mpl, matplotlib mathtext)."""
        if style not in LABEL_STYLES:
            raise ValueError(f"style must be one of {LABEL_STYLES}, got style={style!r}")
        values = self.resolve_params(params or {})
        parts = [self.display[style]]
        for param in self.params:
            assignment = f"{param.symbol[style]}={format_value(values[param.name], style)}"
            parts.append(assignment if style == "text" else f"${assignment}$")
        return " ".join(parts)


FAMILIES: dict[str, Family] = {}


def register_family(family: Family, *, replace: bool = False) -> Family:
    """Add ``family`` to :data:`FAMILIES` (every test that loops over the registry then covers it).

    Refuses a name already taken unless ``replace``. Returns the family, so it can be used inline.
    """
    if family.name in FAMILIES and not replace:
        raise ValueError(f"a divergence family named {family.name!r} is already registered")
    FAMILIES[family.name] = family
    return family


def unregister_family(name: str) -> Family:
    """Remove the family ``name`` from :data:`FAMILIES` and return it."""
    return FAMILIES.pop(get_family(name).name)


def get_family(name: object) -> Family:
    """The family called ``name``, or ValueError naming the argument and the registered families."""
    if not isinstance(name, str) or name not in FAMILIES:
        raise ValueError(f"divergence must be one of {sorted(FAMILIES)}, got divergence={name!r}")
    return FAMILIES[name]
