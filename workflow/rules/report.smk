# The thesis report: statistics, tables and figures. `snakemake --report report.html` shows every registered table
# and figure (renyi_kd.report.artefacts) with its record's caption (workflow/report/{table,figure}.rst read them).
from renyi_kd.report.artefacts import captions_param


rule report:
    input:
        runs=rules.aggregate.output.runs,
        teachers=teacher_files("metrics"),
        logits=teacher_files("logits"),
        tuned=[str(LAYOUT.study(study).best) for study in STUDIES] if TUNE else [],
        trials=[str(LAYOUT.study(study).trials) for study in STUDIES] if TUNE else [],
        histories=final_outputs("history"),
        predictions=final_outputs("predictions"),
        published=EXPERIMENT.report["published"] or [],
    output:
        document=LAYOUT.report.document,
        # Every table as HTML, which snakemake --report shows inline (Markdown it only offers as a download)
        tables=report(directory(LAYOUT.report.tables), patterns=["{name}.html"], caption="../report/table.rst",
                      category="Tables"),
        figures=report(directory(LAYOUT.report.figures), patterns=["{name}.png"], caption="../report/figure.rst",
                       category="Figures"),
    params:
        config=lambda wildcards: stage_config("methods", "report"),  # a function: its {templates} are not wildcards
        exp_dir=RESULTS,
        table_captions=captions_param("table", EXPERIMENT),
        figure_captions=captions_param("figure", EXPERIMENT),
    log:
        LAYOUT.log("report"),
    shell:
        "renyi-kd report --config {params.config:q} --exp-dir {params.exp_dir} > {log} 2>&1"
