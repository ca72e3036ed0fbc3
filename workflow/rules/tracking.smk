# MLflow store and experiment, created once before any parallel job can race on the schema migration.
rule init_tracking:
    output:
        LAYOUT.tracking,
    params:
        config=stage_config(),
        exp_dir=RESULTS,
    log:
        LAYOUT.log("init_tracking"),
    shell:
        "renyi-kd init-tracking --config {params.config:q} --exp-dir {params.exp_dir} > {log} 2>&1"
