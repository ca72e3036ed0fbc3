rule aggregate:
    input:
        metrics=final_outputs("metrics.json"),
        teacher=rules.train_teacher.output.metrics,
    output:
        runs=f"{RESULTS}/report/runs.csv",
        table=f"{RESULTS}/report/accuracy.md",
    params:
        config=stage_config("methods"),
        out_dir=f"{RESULTS}/report",
    log:
        f"{RESULTS}/logs/aggregate.log",
    shell:
        "renyi-kd aggregate --config {params.config:q} --metrics {input.metrics} --teacher {input.teacher}"
        " --out-dir {params.out_dir} > {log} 2>&1"
