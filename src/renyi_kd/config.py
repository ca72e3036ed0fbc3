"""Experiment configuration: schema validation with defaults, semantic checks, methods as data.

The validated dict becomes the typed experiment in :mod:`renyi_kd.experiment`.

Every error names the offending key as a dotted path (``data.transfer_size``, ``methods.renyi-a0.5.alpha``)
and is raised before any job starts: the Snakefile calls :func:`validate_config` while it parses.
"""

from __future__ import annotations

import copy
import importlib
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from renyi_kd.method_grid import (
    GridError,
    cell_fields,
    check_template,
    expand_methods,
    fill,
    is_template,
    placeholders,
)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SCHEMA_PATH = PROJECT_ROOT / "workflow" / "schemas" / "config.schema.yaml"
_RENYI_NAME = re.compile(r"^renyi-a(?P<alpha>[0-9][0-9.]*|inf)$")  # the Rényi shorthand; other names are free


# Keys that were renamed: a config that still uses one is told what replaced it.
RENAMED_KEYS = {
    "teacher.seed": ": teacher.seeds replaced it (a list, one teacher per seed), e.g. `seeds: [0]` for one teacher",
}


class ConfigError(ValueError):
    """A configuration value that cannot run; the message starts with the dotted key."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"config key '{key}': {message}")
        self.key = key


# Method-entry keys that are not parameters of the method's family.
_METHOD_KEYS = ("divergence", "beta", "T", "scaling", "standardize", "label_smoothing", "transfer", "tune", "label")
# Tuning ranges of the method-level knobs a method may list under `tune` by name.
_KNOB_RANGES = {"label_smoothing": {"low": 0.0, "high": 0.3, "log": False}}


@dataclass(frozen=True)
class Method:
    """A compared method is data: its divergence family and parameters, never a branch in the loop.

    ``divergence=None`` (with ``beta = 0``) is the student trained alone. ``params`` are the family's
    parameters (by registry name, defaults filled in); ``tune`` maps the extra names this method tunes (family
    parameters, ``label_smoothing``) to their search ranges; ``transfer`` is the split the student learns from.
    """

    name: str
    divergence: str | None
    params: dict[str, float]
    beta: float
    T: float
    scaling: str | None
    standardize: bool = False
    label_smoothing: float = 0.0
    transfer: str = "transfer"
    tune: dict[str, dict[str, Any]] = field(default_factory=dict)
    label: str | None = None

    @property
    def uses_teacher(self) -> bool:
        return self.divergence is not None

    @property
    def alpha(self) -> float | None:
        """The Rényi order of a Rényi method (the project's `alpha`), else None."""
        return self.params.get("alpha") if self.divergence == "renyi" else None

    def loss_params(self, beta: float | None = None, T: float | None = None, **tuned: float) -> dict[str, Any]:
        """Keyword arguments for :class:`renyi_kd.losses.DistillationLoss`; tuned values override."""
        smoothing = tuned.get("label_smoothing", self.label_smoothing)
        if not self.uses_teacher:  # beta = 0: the soft term is never evaluated
            return {"beta": 0.0, "temperature": 1.0, "divergence": "renyi", "alpha": 1.0, "label_smoothing": smoothing}
        params = {name: tuned.get(name, value) for name, value in self.params.items()}
        return {
            "beta": self.beta if beta is None else beta,
            "temperature": self.T if T is None else T,
            "scaling": self.scaling,
            "divergence": self.divergence,
            "standardize": self.standardize,
            "label_smoothing": smoothing,
            **params,
        }

    def tags(self) -> dict[str, str]:
        return {"method": self.name, "divergence": str(self.divergence), "alpha": str(self.alpha),
                **{f"param.{name}": str(value) for name, value in self.params.items()}}


def load_config(path: str | Path) -> dict[str, Any]:
    """Read a YAML config file and validate it (see :func:`validate_config`)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"config file not found: {path}")
    return validate_config(yaml.safe_load(path.read_text()) or {})


def validate_config(config: dict[str, Any]) -> dict[str, Any]:
    """Return a validated copy of ``config`` with schema defaults filled in and grids of methods expanded
    (:mod:`renyi_kd.method_grid`); raise :class:`ConfigError`."""
    config = copy.deepcopy(config)
    try:  # a grid or template that cannot be used (method_grid names the key)
        if isinstance(config.get("methods"), dict):
            config["methods"] = expand_methods(config["methods"])
        _validate_schema(config)
        _check_models(config)
        _check_data(config)
        for name in config["methods"]:
            method_from_config(config, name)
        _check_schedules(config)
        _check_tuning(config)
        _check_report(config)
    except GridError as error:
        raise ConfigError(error.key, str(error)) from None
    return config


def load_schema() -> dict[str, Any]:
    """The config schema, its registry-backed enums filled in from the code's registries.

    A schema node ``{x-registry: "module:NAME"}`` becomes ``{enum: [...]}`` with the keys of that registry (a
    dict or tuple in ``module``), so the schema never copies a registry's entries by hand.
    """
    return _fill_registry_enums(yaml.safe_load(SCHEMA_PATH.read_text()))


def _fill_registry_enums(node: Any) -> Any:
    if isinstance(node, dict):
        node = {key: _fill_registry_enums(value) for key, value in node.items()}
        if "x-registry" in node:
            module, name = node.pop("x-registry").split(":")
            node["enum"] = list(getattr(importlib.import_module(module), name))
        return node
    if isinstance(node, list):
        return [_fill_registry_enums(item) for item in node]
    return node


def _validate_schema(config: dict[str, Any]) -> None:
    schema = load_schema()
    validator_cls = _with_defaults(jsonschema.Draft202012Validator)
    errors = sorted(validator_cls(schema).iter_errors(config), key=lambda e: list(e.absolute_path))
    if errors:
        error = jsonschema.exceptions.best_match(errors)
        path = list(error.absolute_path)
        if error.validator in ("additionalProperties", "unevaluatedProperties"):
            allowed = _allowed_keys(error.schema, schema)
            unknown = sorted(set(error.instance) - allowed)
            key = ".".join(str(p) for p in path + unknown[:1])
            hint = RENAMED_KEYS.get(key, "")
            raise ConfigError(key or "<root>", f"unknown key{hint} (allowed: {sorted(allowed)})")
        if "propertyNames" in error.schema_path:
            key = ".".join(str(p) for p in path + [error.instance])
            raise ConfigError(key, "method names are ce, kl or renyi-a{alpha} (e.g. renyi-a0.5, renyi-a2, renyi-ainf)")
        if error.validator == "required":
            missing = error.message.split("'")[1]
            raise ConfigError(".".join(str(p) for p in path + [missing]), "is required")
        raise ConfigError(".".join(str(p) for p in path) or "<root>", error.message)


def _allowed_keys(node: dict[str, Any], schema: dict[str, Any]) -> set[str]:
    """The keys a schema node allows: its own properties and those of the definition it refers to."""
    allowed = set(node.get("properties", {}))
    if "$ref" in node:
        allowed |= _allowed_keys(schema["$defs"][node["$ref"].rsplit("/", 1)[1]], schema)
    return allowed


def _with_defaults(validator_cls: type) -> type:
    """A validator that fills in ``default`` values as it goes (the way snakemake.utils.validate does)."""
    validate_properties = validator_cls.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for name, subschema in properties.items():
                if "default" in subschema:
                    instance.setdefault(name, copy.deepcopy(subschema["default"]))
        yield from validate_properties(validator, properties, instance, schema)

    return jsonschema.validators.extend(validator_cls, {"properties": set_defaults})


def _check_models(config: dict[str, Any]) -> None:
    import timm  # imported here: validation of everything else should not wait for it

    from renyi_kd.models.factory import check_stem  # registers the project's CIFAR architectures with timm

    for role in ("teacher", "student"):
        name = config[role]["model"]
        if not timm.is_model(name):
            close = timm.list_models(f"*{name.split('_')[0]}*")[:5]
            hint = f" (similar: {', '.join(close)})" if close else ""
            raise ConfigError(f"{role}.model", f"unknown timm model {name!r}{hint}")
        try:
            check_stem(name, config[role]["stem"])
        except ValueError as error:
            raise ConfigError(f"{role}.stem", str(error)) from None
        weights = config[role]["pretrained_file"]
        if weights is not None and not Path(weights).is_file():
            raise ConfigError(f"{role}.pretrained_file", f"file not found: {weights}")


def _check_data(config: dict[str, Any]) -> None:
    """The data's folder, the sizes of its splits (known without loading a pixel) and what students see."""
    from renyi_kd.data import DATASETS, SplitSizeError, plan_splits

    data = config["data"]
    record = DATASETS[data["name"]]  # a registered name: the schema's enum is the registry
    try:
        root = record.root(data["root"])  # None where the dataset needs no folder
    except ValueError:
        raise ConfigError("data.root", f"dataset {data['name']!r} needs a local folder") from None
    if root is not None and not root.exists():
        if data["download"] and record.can_download:
            return  # fetched by prepare_data; sizes are checked there
        ways = [record.install_hint] * bool(record.install_hint)
        ways += [f"set data.download: true to fetch {record.name}"] * record.can_download
        raise ConfigError("data.root", f"folder not found: {root}" + (f" ({'; or '.join(ways)})" if ways else ""))
    try:
        plan_splits(data)
    except SplitSizeError as error:
        raise ConfigError(error.key, str(error)) from None
    outputs, augmentation = config["distillation"]["teacher_outputs"], data["augmentation"]
    if outputs == "cached" and augmentation != "none":
        raise ConfigError("distillation.teacher_outputs", f"cached teacher logits are of un-augmented images, but "
                          f"data.augmentation is {augmentation!r}: use views (K fixed views exported) or online")
    if outputs == "views" and augmentation == "none":
        raise ConfigError("distillation.teacher_outputs", "views need an augmentation (data.augmentation); "
                          "without one use cached")


def _check_schedules(config: dict[str, Any]) -> None:
    from renyi_kd.experiment import ModelConfig, TeacherConfig
    from renyi_kd.training.optim import Schedule, check_schedule

    for role, kind in (("teacher", TeacherConfig), ("student", ModelConfig)):
        section = kind.from_config(config[role])
        problems = check_schedule(Schedule.from_config(section.schedule), section.epochs)
        if problems:
            raise ConfigError(f"{role}.schedule", "; ".join(problems))


def _check_report(config: dict[str, Any]) -> None:
    report = config["report"]
    for i, question in enumerate(report["comparisons"]):
        if any(is_template(r) for r in question["references"]):
            _check_grid_question(f"report.comparisons.{i}", question, list(config["methods"]))
            continue
        for key in ("references", "methods"):
            unknown = [m for m in question[key] or [] if m not in config["methods"]]
            if unknown:
                raise ConfigError(f"report.comparisons.{i}.{key}", f"{unknown} are not configured methods (the default "
                                  "questions compare every method with kl and ce: set report.comparisons to other references)")
    if report["published"] is not None:  # relative to the working directory, else to the project (docs/...)
        found = next((p for p in (Path(report["published"]), PROJECT_ROOT / report["published"]) if p.is_file()), None)
        if found is None:
            raise ConfigError("report.published", f"file not found: {report['published']}")
        report["published"] = str(found.resolve())
    reference = report["equivalence_reference"]
    check_template(reference, "report.equivalence_reference")
    if not any(cell_fields(reference, m) is not None for m in config["methods"]):
        raise ConfigError("report.equivalence_reference", f"{reference!r} is not a configured method "
                          "(nor a template that fits one)")


def _check_grid_question(key: str, question: dict[str, Any], methods: list[str]) -> None:
    """A question whose references are templates: its methods are templates (or names) that fit configured methods,
    each reference's placeholders are theirs, and every reference they fill in is configured."""
    if not question["methods"]:
        raise ConfigError(f"{key}.methods", "templated references need methods templates to fill them in "
                          "(e.g. methods: [renyi-a{alpha}-T{T}], references: [renyi-a1-T{T}])")
    for part in ("methods", "references"):
        for template in question[part]:
            check_template(template, f"{key}.{part}")
    for template in question["methods"]:
        cells = {m: f for m in methods if (f := cell_fields(template, m)) is not None}
        if not cells:
            raise ConfigError(f"{key}.methods", f"{template!r} fits no configured method")
        for reference in question["references"]:
            missing = [p for p in placeholders(reference) if p not in placeholders(template)]
            if missing:
                raise ConfigError(f"{key}.references", f"{reference!r} needs {missing}, which {template!r} does not give")
            absent = sorted({fill(reference, f) for f in cells.values()} - set(methods))
            if absent:
                raise ConfigError(f"{key}.references", f"{reference!r} names {absent}, which are not configured methods")


def _check_tuning(config: dict[str, Any]) -> None:
    tuning = config["tuning"]
    n_startup = tuning["sampler"]["n_startup_trials"]
    if tuning["enabled"] and n_startup > tuning["n_trials"]:
        raise ConfigError("tuning.sampler.n_startup_trials",
                          f"{n_startup} start-up trials do not fit in the budget of {tuning['n_trials']} trials")
    if tuning["enabled"] and tuning["seed"] in config["seeds"]:
        raise ConfigError(
            "tuning.seed",
            f"{tuning['seed']} is also a final seed: that final run would be the very model its study picked on "
            "validation data (a winner's-curse bias on one paired seed); choose a seed outside `seeds`",
        )
    for name, space in tuning["search_space"].items():
        if space["low"] >= space["high"]:
            raise ConfigError(f"tuning.search_space.{name}", f"low {space['low']} must be below high {space['high']}")
        if space["log"] and space["low"] <= 0:
            raise ConfigError(f"tuning.search_space.{name}.low", "a log-uniform range needs low > 0")
    for name, override in tuning["per_method"].items():
        if name not in config["methods"]:
            raise ConfigError(f"tuning.per_method.{name}", "not a configured method")
        if override and not tuning["allow_unequal_budgets"]:
            key = next(iter(override))
            raise ConfigError(
                f"tuning.per_method.{name}.{key}",
                "gives this method another tuning budget than the others, which breaks the fair comparison; "
                "set tuning.allow_unequal_budgets: true to do it anyway",
            )


def shorthand(name: str) -> dict[str, Any] | None:
    """The method a shorthand name stands for: ce, kl, renyi-a{alpha}; None for a free name."""
    if name == "ce":
        return {"divergence": None}
    if name == "kl":
        return {"divergence": "renyi", "alpha": 1.0}
    match = _RENYI_NAME.match(name)
    if match is None:
        return None
    try:
        return {"divergence": "renyi", "alpha": float(match["alpha"])}
    except ValueError:
        raise ConfigError(f"methods.{name}", "renyi-a{alpha} needs a number or inf for alpha (e.g. renyi-a0.5)") from None


def method_from_config(config: dict[str, Any], name: str) -> Method:
    """The method ``name``: a shorthand (ce, kl, renyi-a{alpha}) or a free name whose entry sets
    ``divergence``; the family's parameters come from the registry and the shared ``distillation`` defaults
    apply where the method sets nothing."""
    from renyi_kd.losses import get_family

    if name not in config["methods"]:
        raise ConfigError(f"methods.{name}", f"not a configured method (configured: {sorted(config['methods'])})")
    entry = dict(config["methods"][name] or {})
    key = f"methods.{name}"
    implied = shorthand(name)
    if implied is None and "divergence" not in entry:
        raise ConfigError(f"{key}.divergence", "a method without a shorthand name (ce, kl, renyi-a{alpha}) names its "
                          "divergence family (or null for the student alone)")
    for setting, value in (implied or {}).items():
        given = entry.setdefault(setting, value)
        if given != value and not (isinstance(given, (int, float)) and math.isclose(given, value)):
            raise ConfigError(f"{key}.{setting}", f"{given!r} contradicts the method name ({setting} {value!r})")
    divergence = entry["divergence"]
    defaults = config.get("distillation", {})
    knobs = {k: entry.pop(k) for k in _METHOD_KEYS if k in entry}
    common = {"standardize": knobs.get("standardize", False), "label_smoothing": knobs.get("label_smoothing", 0.0),
              "transfer": knobs.get("transfer", "transfer"), "label": knobs.get("label")}
    if divergence is None:
        if entry:
            raise ConfigError(f"{key}.{next(iter(entry))}", "the student alone has no divergence parameters")
        tune = _tuned_ranges(key, knobs.get("tune", []), {})
        return Method(name, None, {}, 0.0, 1.0, None, tune=tune, **common)
    try:
        family = get_family(divergence)
    except ValueError as error:
        raise ConfigError(f"{key}.divergence", str(error)) from None
    try:
        params = family.resolve_params(entry)
    except ValueError as error:  # the message starts with the parameter's name
        bad = next((k for k in entry if str(error).startswith(k)), next(iter(entry), "divergence"))
        raise ConfigError(f"{key}.{bad}", str(error)) from None
    try:
        scaling = family.scaling(knobs.get("scaling", defaults.get("scaling"))).name
    except ValueError as error:
        raise ConfigError(f"{key}.scaling" if "scaling" in knobs else "distillation.scaling", str(error)) from None
    _check_degenerate_scaling(key, divergence, params, scaling)
    searchable = {p.name: {"low": p.search.low, "high": p.search.high, "log": p.search.log}
                  for p in family.params if p.search is not None}
    return Method(
        name=name,
        divergence=divergence,
        params=params,
        beta=float(knobs.get("beta", defaults.get("beta", 0.7))),
        T=float(knobs.get("T", defaults.get("T", 4.0))),
        scaling=scaling,
        tune=_tuned_ranges(key, knobs.get("tune", []), searchable),
        **common,
    )


def _tuned_ranges(key: str, tune: list[str] | dict[str, Any], searchable: dict[str, dict]) -> dict[str, dict]:
    """The search range of every extra parameter a method tunes: given, or its family's (label_smoothing's)."""
    known = {**_KNOB_RANGES, **searchable}
    ranges = dict(tune) if isinstance(tune, dict) else {name: None for name in tune}
    for name, given in ranges.items():
        if given is None and name not in known:
            raise ConfigError(f"{key}.tune", f"{name!r} has no default search range here (known: {sorted(known)}); "
                              "give one as {low, high, log}")
        ranges[name] = {"log": False, **(given or known[name])}
    return ranges


def _check_degenerate_scaling(key: str, divergence: str, params: dict[str, float], scaling: str) -> None:
    alpha = params.get("alpha")
    if divergence != "renyi" or alpha is None:
        return
    if (scaling == "thesis" and math.isinf(alpha)) or (scaling == "hinton" and alpha == 0.0):
        raise ConfigError(
            f"{key}.scaling",
            f"with alpha {alpha} the {scaling} scaling makes the soft term identically zero "
            f"(T^2/alpha = 0 at alpha = inf; D_0 = 0 for full-support softmax): use the other scaling",
        )
