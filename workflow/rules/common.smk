# Helpers shared by the rules.
import json


def stage_config(*sections):
    """The config sections a rule reads, as JSON: changing another section does not rerun the rule."""
    return json.dumps({key: config[key] for key in ("experiment", "runtime", "tracking", *sections)})


def teacher_config(wildcards):
    """What one teacher's training reads: the data and the teacher section with only the job's own seed, so
    adding a teacher to teacher.seeds reruns no other teacher's jobs."""
    subset = json.loads(stage_config("data", "teacher"))
    subset["teacher"]["seeds"] = [int(wildcards.teacher)]
    return json.dumps(subset)


def export_config(wildcards):
    """What the teacher-logit export reads: the data, the teacher and which outputs students need (not the
    distillation defaults, whose change must not rerun the export and so every study)."""
    subset = json.loads(teacher_config(wildcards))
    subset["distillation"] = {key: config["distillation"][key] for key in ("teacher_outputs", "views")}
    return json.dumps(subset)


def teacher_file(name):
    """An input function: file ``name`` of the teacher of the job's study (``logits``, ``metrics``)."""
    return lambda wildcards: str(getattr(LAYOUT.teacher(parse_study(wildcards.study).teacher), name))


def study_config(wildcards, *sections):
    """As stage_config, with only the study's method: adding or changing another method reruns nothing here.
    The teachers up to the study's own (its cluster index counts them), so appending a teacher reruns no study.
    Not the number of workers: scaling a study out or in (even half-way, after a kill) keeps the study."""
    subset = json.loads(stage_config(*sections))
    study = parse_study(wildcards.study)
    subset["methods"] = {study.method: config["methods"][study.method]}
    subset["teacher"]["seeds"] = TEACHERS[: TEACHERS.index(study.teacher) + 1]
    subset.get("tuning", {}).pop("workers_per_study", None)
    return json.dumps(subset)


def tuning_config(wildcards):
    return study_config(wildcards, "data", "teacher", "student", "distillation", "tuning")


def final_outputs(name):
    """One file of every final run (every study, every seed), by its name in the layout (``metrics``, ``history``,
    ``predictions``)."""
    return [str(getattr(LAYOUT.final(study, seed), name)) for study in STUDIES for seed in SEEDS]


def seed_batches():
    """The seeds in consecutive batches of final.seeds_per_job: one job trains one batch of one study."""
    size = EXPERIMENT.final.seeds_per_job
    return [SEEDS[i : i + size] for i in range(0, len(SEEDS), size)]


def tuned_params(wildcards):
    """best.json of the study when tuning is on; final runs use the config's values otherwise."""
    return {"best": str(LAYOUT.study(wildcards.study).best)} if TUNE else {}


def teacher_files(name):
    """File ``name`` of every teacher (``metrics``, ``logits``)."""
    return [str(getattr(LAYOUT.teacher(teacher), name)) for teacher in TEACHERS]
