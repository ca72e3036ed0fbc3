# MLflow store and experiment, created once before any parallel job can race on the schema migration.
rule init_tracking:
    output:
        f"{RESULTS}/tracking.json",
    params:
        config=stage_config(),
    log:
        f"{RESULTS}/logs/init_tracking.log",
    shell:
        "{RENYI_KD} init-tracking --config {params.config:q} --exp-dir {RESULTS} > {log} 2>&1"
