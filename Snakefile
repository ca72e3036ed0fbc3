# renyi-kd: teacher -> cached logits -> a tuning study per method -> final runs per method and seed -> thesis report.
# Usage: make run   (or: snakemake --workflow-profile workflow/profiles/default --cores 2; see README "Running it")
import os
import sys
from pathlib import Path

from renyi_kd import paths
from renyi_kd.config import validate_config

configfile: "config.yaml"

# Schema defaults, unknown keys, timm names, paths and method names are all checked here, before any job.
config.update(validate_config(config))

EXP = config["experiment"]
RESULTS = f"results/{EXP}"
METHODS = list(config["methods"])
STUDIES = paths.study_ids(METHODS, config["tuning"]["repeats"])
SEEDS = config["seeds"]
ON_GPU = config["runtime"]["device"] == "cuda"
TUNE = config["tuning"]["enabled"]
WORKERS = config["tuning"]["workers_per_study"]
# Jobs call the renyi-kd of the environment that runs Snakemake, activated or not.
os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"


wildcard_constraints:
    study=paths.study_pattern(METHODS),
    seed=r"\d+",
    worker=r"\d+",


include: "workflow/rules/common.smk"
include: "workflow/rules/tracking.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/teacher.smk"
include: "workflow/rules/tune.smk"
include: "workflow/rules/students.smk"
include: "workflow/rules/aggregate.smk"
include: "workflow/rules/report.smk"


rule all:
    default_target: True
    input:
        f"{RESULTS}/report/runs.csv",
        f"{RESULTS}/report/report.md",
