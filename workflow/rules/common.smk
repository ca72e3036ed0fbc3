# Helpers shared by the rules.
import json


def stage_config(*sections):
    """The config sections a rule reads, as JSON: changing another section does not rerun the rule."""
    return json.dumps({key: config[key] for key in ("experiment", "runtime", "tracking", *sections)})


def method_config(wildcards, *sections):
    """As stage_config, with only this method's entry: adding or changing another method reruns nothing here."""
    subset = json.loads(stage_config(*sections))
    subset["methods"] = {wildcards.method: config["methods"][wildcards.method]}
    return json.dumps(subset)


def study_config(wildcards):
    """What the three steps of a method's study read. Not the number of workers: scaling a study out or in
    (even half-way, after a kill) keeps its study step and so its MLflow run."""
    subset = json.loads(method_config(wildcards, "data", "teacher", "student", "distillation", "tuning"))
    del subset["tuning"]["workers_per_study"]
    return json.dumps(subset)


def tuned_params(wildcards):
    """best.json of the method's study when tuning is on; final runs use the config's values otherwise."""
    return {"best": f"{RESULTS}/tune/{wildcards.method}/best.json"} if TUNE else {}
