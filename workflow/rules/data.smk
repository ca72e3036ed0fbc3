rule prepare_data:
    output:
        f"{RESULTS}/data/splits.json",
    params:
        config=stage_config("data"),
        exp_dir=RESULTS,
    log:
        f"{RESULTS}/logs/prepare_data.log",
    resources:
        mem_mb=2000,
        runtime=10,
    shell:
        "renyi-kd prepare-data --config {params.config:q} --exp-dir {params.exp_dir} > {log} 2>&1"
