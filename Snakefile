# renyi-kd: teachers -> cached logits -> a tuning study per method and cluster (teacher, repeat) -> final runs per
# study and seed -> thesis report.
# Usage: make run   (or: snakemake --workflow-profile workflow/profiles/default --cores 2; see README "Running it")
import os
import sys
from pathlib import Path

from renyi_kd.config import validate_config
from renyi_kd.experiment import Experiment
from renyi_kd.layout import Layout, parse_study, study_ids, study_pattern

configfile: "config.yaml"

# Schema defaults, unknown keys, timm names, paths and method names are all checked here, before any job.
config.update(validate_config(config))
# Snakemake's `config` stays the validated dict (the rules pass their jobs slices of it); values are read here.
EXPERIMENT = Experiment.from_config(config)
LAYOUT = Layout.of(EXPERIMENT.name)
RESULTS = str(LAYOUT.root)
METHODS = list(EXPERIMENT.methods)
TEACHERS = list(EXPERIMENT.teacher.seeds)
STUDIES = study_ids(METHODS, TEACHERS, EXPERIMENT.tuning.repeats)
SEEDS = list(EXPERIMENT.seeds)
ON_GPU = EXPERIMENT.runtime.device == "cuda"
TUNE = EXPERIMENT.tuning.enabled
WORKERS = EXPERIMENT.tuning.workers_per_study
# Jobs call the renyi-kd of the environment that runs Snakemake, activated or not.
os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"


wildcard_constraints:
    study=study_pattern(METHODS),
    teacher=r"\d+",
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
        LAYOUT.report.runs,
        LAYOUT.report.document,
