# One job per (method, seed): every method is trained on the same seeds, so runs pair up.
rule final:
    input:
        logits=rules.export_logits.output,
        teacher=rules.train_teacher.output.metrics,
        tracking=rules.init_tracking.output,
    output:
        metrics=f"{RESULTS}/final/{{method}}/seed{{seed}}/metrics.json",
        history=f"{RESULTS}/final/{{method}}/seed{{seed}}/history.csv",
    params:
        config=stage_config("data", "teacher", "student", "distillation", "methods"),
    log:
        f"{RESULTS}/logs/final/{{method}}/seed{{seed}}.log",
    threads: config["runtime"]["threads"]
    resources:
        mem_mb=4000,
        runtime=60,
        gpu=1 if ON_GPU else 0,
    shell:
        "{RENYI_KD} train-student --config {params.config:q} --exp-dir {RESULTS} --method {wildcards.method}"
        " --seed {wildcards.seed} --threads {threads} > {log} 2>&1"
