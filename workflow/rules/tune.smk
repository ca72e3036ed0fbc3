# One Optuna study per method with the same budget, in three steps: open (the study and its MLflow run),
# tuning.workers_per_study workers sharing it (jobs of their own; each resumes after a kill), close (best.json).
localrules:
    tune_study,
    tune,


rule tune_study:
    input:
        logits=rules.export_logits.output,
        teacher=rules.train_teacher.output.metrics,
        tracking=rules.init_tracking.output,
    output:
        f"{RESULTS}/tune/{{method}}/study.json",
    params:
        config=study_config,
        exp_dir=RESULTS,
    log:
        f"{RESULTS}/logs/tune/{{method}}.open.log",
    shell:
        "renyi-kd open-study --config {params.config:q} --exp-dir {params.exp_dir} --method {wildcards.method}"
        " > {log} 2>&1"


rule tune_worker:
    input:
        rules.tune_study.output,
    output:
        f"{RESULTS}/tune/{{method}}/workers/{{worker}}.json",
    params:
        config=study_config,
        exp_dir=RESULTS,
        workers=config["tuning"]["workers_per_study"],
    log:
        f"{RESULTS}/logs/tune/{{method}}.worker{{worker}}.log",
    threads: config["runtime"]["threads"]
    resources:
        mem_mb=4000,
        runtime=240,
        gpu=1 if ON_GPU else 0,
    shell:
        "renyi-kd tune-worker --config {params.config:q} --exp-dir {params.exp_dir} --method {wildcards.method}"
        " --worker {wildcards.worker} --workers {params.workers} --threads {threads} > {log} 2>&1"


rule tune:
    input:
        study=rules.tune_study.output,
        workers=expand(
            f"{RESULTS}/tune/{{{{method}}}}/workers/{{worker}}.json",
            worker=range(config["tuning"]["workers_per_study"]),
        ),
    output:
        best=f"{RESULTS}/tune/{{method}}/best.json",
        trials=f"{RESULTS}/tune/{{method}}/trials.csv",
    params:
        config=study_config,
        exp_dir=RESULTS,
    log:
        f"{RESULTS}/logs/tune/{{method}}.log",
    shell:
        "renyi-kd close-study --config {params.config:q} --exp-dir {params.exp_dir} --method {wildcards.method}"
        " > {log} 2>&1"
