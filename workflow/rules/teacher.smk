# One teacher per seed of teacher.seeds ({teacher}: the seed), each with its own weights, metrics and logits.
rule train_teacher:
    input:
        splits=rules.prepare_data.output,
        tracking=rules.init_tracking.output,
    output:
        weights=LAYOUT.teacher("{teacher}").weights,
        metrics=LAYOUT.teacher("{teacher}").metrics,
        history=LAYOUT.teacher("{teacher}").history,
    params:
        config=teacher_config,
        exp_dir=RESULTS,
    log:
        LAYOUT.log("train_teacher", "seed{teacher}"),
    threads: EXPERIMENT.runtime.teacher_threads
    resources:
        mem_mb=8000,
        runtime=240,
        gpu=1 if ON_GPU else 0,
    shell:
        "renyi-kd train-teacher --config {params.config:q} --exp-dir {params.exp_dir} --teacher {wildcards.teacher}"
        " --threads {threads} > {log} 2>&1"


rule export_logits:
    input:
        weights=rules.train_teacher.output.weights,
        metrics=rules.train_teacher.output.metrics,
    output:
        LAYOUT.teacher("{teacher}").logits,
    params:
        config=export_config,
        exp_dir=RESULTS,
    log:
        LAYOUT.log("export_logits", "seed{teacher}"),
    threads: EXPERIMENT.runtime.teacher_threads
    resources:
        mem_mb=8000,
        runtime=30,
        gpu=1 if ON_GPU else 0,
    shell:
        "renyi-kd export-logits --config {params.config:q} --exp-dir {params.exp_dir} --teacher {wildcards.teacher}"
        " --threads {threads} > {log} 2>&1"
