rule aggregate:
    input:
        metrics=final_outputs("metrics.json"),
        teacher=rules.train_teacher.output.metrics,
    output:
        runs=f"{RESULTS}/report/runs.csv",
        table=f"{RESULTS}/report/accuracy.md",
    params:
        config=stage_config("methods"),
    log:
        f"{RESULTS}/logs/aggregate.log",
    shell:
        "renyi-kd aggregate --config {params.config:q} --metrics {input.metrics} --teacher {input.teacher}"
        " --out-dir $(dirname {output.runs:q}) > {log} 2>&1"
