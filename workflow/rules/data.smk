rule prepare_data:
    output:
        LAYOUT.splits,
    params:
        config=stage_config("data"),
        exp_dir=RESULTS,
    log:
        LAYOUT.log("prepare_data"),
    resources:
        mem_mb=2000,
        runtime=10,
    shell:
        "renyi-kd prepare-data --config {params.config:q} --exp-dir {params.exp_dir} > {log} 2>&1"
