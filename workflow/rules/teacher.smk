rule train_teacher:
    input:
        splits=rules.prepare_data.output,
        tracking=rules.init_tracking.output,
    output:
        weights=f"{RESULTS}/teacher/model.safetensors",
        metrics=f"{RESULTS}/teacher/metrics.json",
        history=f"{RESULTS}/teacher/history.csv",
    params:
        config=stage_config("data", "teacher"),
        exp_dir=RESULTS,
    log:
        f"{RESULTS}/logs/train_teacher.log",
    threads: config["runtime"]["teacher_threads"]
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
        f"{RESULTS}/teacher/logits.safetensors",
    params:
        config=export_config(),
        exp_dir=RESULTS,
    log:
        f"{RESULTS}/logs/export_logits.log",
    threads: config["runtime"]["teacher_threads"]
    resources:
        mem_mb=8000,
        runtime=30,
        gpu=1 if ON_GPU else 0,
    shell:
        "renyi-kd export-logits --config {params.config:q} --exp-dir {params.exp_dir} --threads {threads} > {log} 2>&1"
