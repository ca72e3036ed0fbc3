"""Experiment configuration: schema validation with defaults, semantic checks, methods as data.

Every error names the offending key as a dotted path (``data.transfer_size``, ``methods.renyi-a0.5.alpha``)
and is raised before any job starts: the Snakefile calls :func:`validate_config` while it parses.
"""

from __future__ import annotations

import copy
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import yaml

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "workflow" / "schemas" / "config.schema.yaml"
_RENYI_NAME = re.compile(r"^renyi-a(?P<alpha>.+)$")


class ConfigError(ValueError):
    """A configuration value that cannot run; the message starts with the dotted key."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"config key '{key}': {message}")
        self.key = key


@dataclass(frozen=True)
class Method:
    """A compared method is data: its divergence family and parameters, never a branch in the loop.

    ``divergence=None`` with ``beta=0`` is the student trained alone (``ce``).
    """

    name: str
    divergence: str | None
    alpha: float | None
    beta: float
    T: float
    scaling: str

    @property
    def uses_teacher(self) -> bool:
        return self.divergence is not None

    def loss_params(self, beta: float | None = None, T: float | None = None) -> dict[str, Any]:
        """Keyword arguments for :class:`renyi_kd.losses.DistillationLoss`; tuned beta and T override."""
        if not self.uses_teacher:  # beta = 0: the soft term is never evaluated
            return {"beta": 0.0, "temperature": 1.0, "scaling": self.scaling, "divergence": "renyi", "alpha": 1.0}
        return {
            "beta": self.beta if beta is None else beta,
            "temperature": self.T if T is None else T,
            "scaling": self.scaling,
            "divergence": self.divergence,
            "alpha": self.alpha,
        }

    def tags(self) -> dict[str, str]:
        return {"method": self.name, "divergence": str(self.divergence), "alpha": str(self.alpha)}


def load_config(path: str | Path) -> dict[str, Any]:
    """Read a YAML config file and validate it (see :func:`validate_config`)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"config file not found: {path}")
    return validate_config(yaml.safe_load(path.read_text()) or {})


def validate_config(config: dict[str, Any]) -> dict[str, Any]:
    """Return a validated copy of ``config`` with schema defaults filled in; raise :class:`ConfigError`."""
    config = copy.deepcopy(config)
    _validate_schema(config)
    _check_models(config)
    _check_data(config)
    for name in config["methods"]:
        method_from_config(config, name)
    _check_schedules(config)
    _check_tuning(config)
    _check_report(config)
    return config


def _validate_schema(config: dict[str, Any]) -> None:
    schema = yaml.safe_load(SCHEMA_PATH.read_text())
    validator_cls = _with_defaults(jsonschema.Draft202012Validator)
    errors = sorted(validator_cls(schema).iter_errors(config), key=lambda e: list(e.absolute_path))
    if errors:
        error = jsonschema.exceptions.best_match(errors)
        path = list(error.absolute_path)
        if error.validator == "additionalProperties":
            unknown = sorted(set(error.instance) - set(error.schema.get("properties", {})))
            key = ".".join(str(p) for p in path + unknown[:1])
            raise ConfigError(key or "<root>", f"unknown key (allowed: {sorted(error.schema.get('properties', {}))})")
        if "propertyNames" in error.schema_path:
            key = ".".join(str(p) for p in path + [error.instance])
            raise ConfigError(key, "method names are ce, kl or renyi-a{alpha} (e.g. renyi-a0.5, renyi-a2, renyi-ainf)")
        if error.validator == "required":
            missing = error.message.split("'")[1]
            raise ConfigError(".".join(str(p) for p in path + [missing]), "is required")
        raise ConfigError(".".join(str(p) for p in path) or "<root>", error.message)


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

    from renyi_kd.models import check_stem  # registers the project's CIFAR architectures with timm

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
    from renyi_kd.split_plan import SplitSizeError, plan_splits

    data = config["data"]
    if data["name"] != "digits":
        root = data["root"]
        if root is None:
            raise ConfigError("data.root", f"dataset {data['name']!r} needs a local folder")
        if not Path(root).exists():
            if data["download"] and data["name"] != "imagefolder":
                return  # fetched by prepare_data; sizes are checked there
            raise ConfigError("data.root", f"folder not found: {root} (set data.download: true to fetch CIFAR)")
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
    from renyi_kd.optim import Schedule, check_schedule

    for role in ("teacher", "student"):
        section = config[role]
        problems = check_schedule(Schedule.from_config(section["schedule"]), section["epochs"])
        if problems:
            raise ConfigError(f"{role}.schedule", "; ".join(problems))


def _check_report(config: dict[str, Any]) -> None:
    report = config["report"]
    for i, family in enumerate(report["comparisons"]):
        for key in ("references", "methods"):
            unknown = [m for m in family[key] or [] if m not in config["methods"]]
            if unknown:
                raise ConfigError(f"report.comparisons.{i}.{key}", f"{unknown} are not configured methods")
    if report["equivalence_reference"] not in config["methods"]:
        raise ConfigError("report.equivalence_reference", f"{report['equivalence_reference']!r} is not a configured method")


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


def tuning_budget(config: dict[str, Any], name: str) -> tuple[int, int]:
    """(trials, epochs per trial) of a method's study: the same for every method unless explicitly allowed."""
    tuning = config["tuning"]
    override = tuning["per_method"].get(name, {})
    epochs = tuning["epochs"] or config["student"]["epochs"]
    return override.get("n_trials", tuning["n_trials"]), override.get("epochs", epochs)


def _alpha_from_name(name: str) -> float | None:
    if name == "kl":
        return 1.0
    match = _RENYI_NAME.match(name)
    return float(match["alpha"]) if match else None


def method_from_config(config: dict[str, Any], name: str) -> Method:
    """The method ``name`` with the shared ``distillation`` defaults applied; its name fixes its alpha."""
    if name not in config["methods"]:
        raise ConfigError(f"methods.{name}", f"not a configured method (configured: {sorted(config['methods'])})")
    entry = config["methods"][name] or {}
    defaults = config.get("distillation", {})
    key = f"methods.{name}"
    if name == "ce":
        if entry.get("divergence") is not None:
            raise ConfigError(f"{key}.divergence", "ce is the student trained alone: no divergence")
        return Method(name, None, None, 0.0, 1.0, defaults.get("scaling", "thesis"))

    divergence = entry.get("divergence", "renyi")
    if divergence is None:
        raise ConfigError(f"{key}.divergence", "only ce trains without a teacher")
    named_alpha = _alpha_from_name(name)
    alpha = float(entry.get("alpha", named_alpha))
    if named_alpha is not None and not math.isclose(alpha, named_alpha):
        raise ConfigError(f"{key}.alpha", f"{alpha} contradicts the method name (alpha {named_alpha})")
    scaling = entry.get("scaling", defaults.get("scaling", "thesis"))
    if (scaling == "thesis" and math.isinf(alpha)) or (scaling == "hinton" and alpha == 0.0):
        raise ConfigError(
            f"{key}.scaling",
            f"with alpha {alpha} the {scaling} scaling makes the soft term identically zero "
            f"(T^2/alpha = 0 at alpha = inf; D_0 = 0 for full-support softmax): use the other scaling",
        )
    return Method(
        name=name,
        divergence=divergence,
        alpha=alpha,
        beta=float(entry.get("beta", defaults.get("beta", 0.7))),
        T=float(entry.get("T", defaults.get("T", 4.0))),
        scaling=scaling,
    )


def methods_from_config(config: dict[str, Any]) -> list[Method]:
    return [method_from_config(config, name) for name in config["methods"]]
