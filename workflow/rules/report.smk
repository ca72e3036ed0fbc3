# The thesis report: statistics, tables and figures; `snakemake --report report.html` collects them with captions.
rule report:
    input:
        runs=rules.aggregate.output.runs,
        teacher=rules.train_teacher.output.metrics,
        logits=rules.export_logits.output,
        tuned=[str(paths.best_file(RESULTS, study)) for study in STUDIES] if TUNE else [],
        trials=[str(paths.trials_file(RESULTS, study)) for study in STUDIES] if TUNE else [],
        histories=final_outputs("history.csv"),
        predictions=final_outputs("predictions.safetensors"),
        published=config["report"]["published"] or [],
    output:
        document=f"{RESULTS}/report/report.md",
        # HTML, which snakemake --report shows inline (Markdown it only offers as a download)
        main_table=report(f"{RESULTS}/report/tables/main.html", caption="../report/main_table.rst", category="Tables"),
        hyperparameters=report(
            f"{RESULTS}/report/tables/hyperparameters.html", caption="../report/hyperparameters.rst", category="Tables"
        ),
        comparisons_table=report(
            f"{RESULTS}/report/tables/comparisons.html", caption="../report/comparisons.rst", category="Tables"
        ),
        tables=expand(f"{RESULTS}/report/tables/{{table}}.{{ext}}",
                      table=["main", "hyperparameters", "models", "comparisons"], ext=["tex", "csv", "md"]),
        models=f"{RESULTS}/report/tables/models.html",
        tuning_budget=f"{RESULTS}/report/tables/tuning_budget.csv",
        figures=report(
            directory(f"{RESULTS}/report/figures"),
            patterns=["{name}.png"],
            caption="../report/figures.rst",
            category="Figures",
        ),
    params:
        config=stage_config("methods", "report"),
        exp_dir=RESULTS,
    log:
        f"{RESULTS}/logs/report.log",
    shell:
        "renyi-kd report --config {params.config:q} --exp-dir {params.exp_dir} > {log} 2>&1"
