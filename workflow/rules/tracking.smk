# MLflow store and experiment, created once before any parallel job can race on the schema migration.
rule init_tracking:
    output:
        f"{RESULTS}/tracking.json",
    params:
        config=stage_config(),
        exp_dir=RESULTS,
    log:
        f"{RESULTS}/logs/init_tracking.log",
    shell:
        "renyi-kd init-tracking --config {params.config:q} --exp-dir {params.exp_dir} > {log} 2>&1"
