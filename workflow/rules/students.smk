# Final runs: every study's chosen hyperparameters retrained on the same seeds, so runs pair up within clusters; the
# test split is read here and nowhere before. One job trains final.seeds_per_job seeds of one study in one process
# (one rule per batch of seeds); each seed keeps its own outputs, checkpoint and MLflow run.
for batch in seed_batches():

    rule:
        name:
            f"final_seed{batch[0]}" if len(batch) == 1 else f"final_seeds{batch[0]}to{batch[-1]}"
        input:
            unpack(tuned_params),
            logits=teacher_file("logits"),
            teacher=teacher_file("metrics"),
            tracking=rules.init_tracking.output,
        output:
            metrics=expand(LAYOUT.final("{{study}}", "{seed}").metrics, seed=batch),
            history=expand(LAYOUT.final("{{study}}", "{seed}").history, seed=batch),
            predictions=expand(LAYOUT.final("{{study}}", "{seed}").predictions, seed=batch),
        params:
            config=lambda wildcards: study_config(wildcards, "data", "teacher", "student", "distillation"),
            exp_dir=RESULTS,
            seeds=" ".join(str(seed) for seed in batch),
            tuned=lambda wildcards, input: f"--params {input.best}" if TUNE else "",
        log:
            LAYOUT.log("final", "{study}", f"seeds{batch[0]}-{batch[-1]}"),
        threads: EXPERIMENT.runtime.threads
        # Final runs before further studies: a method's last job starts as soon as its study ends, so the
        # workflow does not end on one long job with the other cores idle.
        priority: 1
        resources:
            mem_mb=4000,
            runtime=60 * len(batch),
            gpu=1 if ON_GPU else 0,
        shell:
            "renyi-kd train-student --config {params.config:q} --exp-dir {params.exp_dir} --study {wildcards.study}"
            " --seeds {params.seeds} {params.tuned} --threads {threads} > {log} 2>&1"
