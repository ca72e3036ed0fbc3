rule train_teacher:
    input:
        splits=rules.prepare_data.output,
        tracking=rules.init_tracking.output,
    output:
        weights=LAYOUT.teacher.weights,
        metrics=LAYOUT.teacher.metrics,
        history=LAYOUT.teacher.history,
    params:
        config=stage_config("data", "teacher"),
        exp_dir=RESULTS,
    log:
        LAYOUT.log("train_teacher"),
    threads: EXPERIMENT.runtime.teacher_threads
    resources:
        mem_mb=8000,
        runtime=240,
        gpu=1 if ON_GPU else 0,
    shell:
        "renyi-kd train-teacher --config {params.config:q} --exp-dir {params.exp_dir} --threads {threads} > {log} 2>&1"


rule export_logits:
    input:
        weights=rules.train_teacher.output.weights,
        metrics=rules.train_teacher.output.metrics,
    output:
        LAYOUT.teacher.logits,
    params:
        config=export_config(),
        exp_dir=RESULTS,
    log:
        LAYOUT.log("export_logits"),
    threads: EXPERIMENT.runtime.teacher_threads
    resources:
        mem_mb=8000,
        runtime=30,
        gpu=1 if ON_GPU else 0,
    shell:
        "renyi-kd export-logits --config {params.config:q} --exp-dir {params.exp_dir} --threads {threads} > {log} 2>&1"
