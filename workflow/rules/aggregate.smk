rule aggregate:
    input:
        metrics=final_outputs("metrics"),
        teachers=teacher_files("metrics"),
    output:
        runs=LAYOUT.report.runs,
        table=LAYOUT.report.accuracy,
    params:
        config=stage_config("methods"),
        exp_dir=RESULTS,
    log:
        LAYOUT.log("aggregate"),
    shell:
        "renyi-kd aggregate --config {params.config:q} --exp-dir {params.exp_dir} --metrics {input.metrics} > {log} 2>&1"
