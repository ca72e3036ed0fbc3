# One job per (method, seed): every method is retrained on the same seeds with its tuned hyperparameters,
# so runs pair up. The test split is read here and nowhere before.
rule final:
    input:
        unpack(tuned_params),
        logits=rules.export_logits.output,
        teacher=rules.train_teacher.output.metrics,
        tracking=rules.init_tracking.output,
    output:
        metrics=f"{RESULTS}/final/{{method}}/seed{{seed}}/metrics.json",
        history=f"{RESULTS}/final/{{method}}/seed{{seed}}/history.csv",
    params:
        config=lambda wildcards: method_config(wildcards, "data", "teacher", "student", "distillation"),
        exp_dir=RESULTS,
        tuned=lambda wildcards, input: f"--params {input.best}" if TUNE else "",
    log:
        f"{RESULTS}/logs/final/{{method}}/seed{{seed}}.log",
    threads: config["runtime"]["threads"]
    resources:
        mem_mb=4000,
        runtime=60,
        gpu=1 if ON_GPU else 0,
    shell:
        "renyi-kd train-student --config {params.config:q} --exp-dir {params.exp_dir} --method {wildcards.method}"
        " --seed {wildcards.seed} {params.tuned} --threads {threads} > {log} 2>&1"
