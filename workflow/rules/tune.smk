# One Optuna study per method and cluster (teacher, repeat), the same budget for all; each reads its own teacher's
# logits. The `tune` job opens the study (the
# first opener enqueues the shared start-up design and creates its MLflow run), runs its trials and writes
# best.json. With tuning.workers_per_study: K > 1, K `tune_worker` jobs share the study first, and `tune`
# only runs what a killed worker left and closes the study.


rule tune_worker:
    input:
        logits=teacher_file("logits"),
        teacher=teacher_file("metrics"),
        tracking=rules.init_tracking.output,
    output:
        LAYOUT.study("{study}").worker("{worker}"),
    params:
        config=tuning_config,
        exp_dir=RESULTS,
    log:
        LAYOUT.log("tune", "{study}.worker{worker}"),
    threads: EXPERIMENT.runtime.threads
    resources:
        mem_mb=4000,
        runtime=240,
        gpu=1 if ON_GPU else 0,
    shell:
        "renyi-kd tune-worker --config {params.config:q} --exp-dir {params.exp_dir} --study {wildcards.study}"
        f" --worker {{wildcards.worker}} --workers {WORKERS} --threads {{threads}} > {{log}} 2>&1"


rule tune:
    input:
        logits=teacher_file("logits"),
        teacher=teacher_file("metrics"),
        tracking=rules.init_tracking.output,
        workers=expand(LAYOUT.study("{{study}}").worker("{worker}"), worker=range(WORKERS) if WORKERS > 1 else []),
    output:
        best=LAYOUT.study("{study}").best,
        trials=LAYOUT.study("{study}").trials,
    params:
        config=tuning_config,
        exp_dir=RESULTS,
    log:
        LAYOUT.log("tune", "{study}"),
    threads: EXPERIMENT.runtime.threads
    resources:
        mem_mb=4000,
        runtime=240,
        gpu=1 if ON_GPU else 0,
    shell:
        "renyi-kd tune --config {params.config:q} --exp-dir {params.exp_dir} --study {wildcards.study}"
        f" --workers {WORKERS} --threads {{threads}} > {{log}} 2>&1"
