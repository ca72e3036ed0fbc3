# One Optuna study per method with the same budget; the journal beside best.json lets a rerun resume it.
rule tune:
    input:
        logits=rules.export_logits.output,
        teacher=rules.train_teacher.output.metrics,
        tracking=rules.init_tracking.output,
    output:
        best=f"{RESULTS}/tune/{{method}}/best.json",
        trials=f"{RESULTS}/tune/{{method}}/trials.csv",
    params:
        config=lambda wildcards: method_config(wildcards, "data", "teacher", "student", "distillation", "tuning"),
        exp_dir=RESULTS,
        threads=config["runtime"]["threads"],
    log:
        f"{RESULTS}/logs/tune/{{method}}.log",
    threads: config["runtime"]["threads"] * config["tuning"]["n_workers"]
    resources:
        mem_mb=4000 * config["tuning"]["n_workers"],
        runtime=240,
        gpu=1 if ON_GPU else 0,
    shell:
        "renyi-kd tune --config {params.config:q} --exp-dir {params.exp_dir} --method {wildcards.method}"
        " --threads {params.threads} > {log} 2>&1"
