rule prepare_data:
    output:
        f"{RESULTS}/data/splits.json",
    params:
        config=stage_config("data"),
    log:
        f"{RESULTS}/logs/prepare_data.log",
    resources:
        mem_mb=2000,
        runtime=10,
    shell:
        "{RENYI_KD} prepare-data --config {params.config:q} --exp-dir {RESULTS} > {log} 2>&1"
