# renyi-kd: teacher -> cached logits -> students per method and seed -> results table.
# Usage: make run   (or: snakemake --cores 2; the default profile in workflow/profiles/default applies)
import json
import sys

from renyi_kd.config import validate_config

configfile: "config.yaml"

# Schema defaults, unknown keys, timm names, paths and method names are all checked here, before any job.
config.update(validate_config(config))

EXP = config["experiment"]
RESULTS = f"results/{EXP}"
METHODS = list(config["methods"])
SEEDS = config["seeds"]
RENYI_KD = f"{sys.executable} -m renyi_kd.cli"
ON_GPU = config["runtime"]["device"] == "cuda"


def stage_config(*sections):
    """The config sections a rule reads, as JSON: changing another section does not rerun the rule."""
    return json.dumps({key: config[key] for key in ("experiment", "runtime", "tracking", *sections)})


wildcard_constraints:
    method="|".join(METHODS).replace(".", r"\."),
    seed=r"\d+",


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/teacher.smk"
include: "workflow/rules/students.smk"
include: "workflow/rules/aggregate.smk"


rule all:
    default_target: True
    input:
        f"{RESULTS}/report/runs.csv",
        f"{RESULTS}/report/accuracy.md",
