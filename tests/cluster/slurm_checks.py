"""Checks for tests/cluster/run_slurm_test.sh (run with the venv's python). Each exits non-zero on failure.

  outputs WORKDIR EXP N_ROWS          runs.csv rows, report.md, every MLflow run FINISHED, one run per job
  compare WORKDIR_A WORKDIR_B EXP     final test numbers and tuned hyperparameters of two runs of one config
  wait-trials WORKDIR EXP METHOD K PID   block until K trials of the study are COMPLETE (fail if process PID,
                                      the snakemake that runs the study, ends first); print the trials as JSON
  resumed WORKDIR EXP METHOD N BEFORE_JSON   after a killed and resumed study: kept trials, budget, both
                                      workers' trials, MLflow
  gpu-flags DRYRUN_LOG                the rules' gpu resource (from a dry run with runtime.device: cuda) and
                                      the sbatch flags the plugin makes of gpu=1 and gpu=0
"""

from __future__ import annotations

import csv
import json
import sys
import time
from pathlib import Path

from renyi_kd.layout import Layout, StudyFiles, study_id

TRIAL_FIELDS = ("number", "state", "value", "params")


def fail(message: str) -> None:
    print(f"FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def mlflow_runs(workdir: Path, experiment: str) -> list:
    import mlflow

    client = mlflow.MlflowClient(f"sqlite:///{workdir / 'results' / 'mlflow.db'}")
    found = client.get_experiment_by_name(experiment)
    if found is None:
        fail(f"no MLflow experiment {experiment!r} in {workdir / 'results' / 'mlflow.db'}")
    return client.search_runs([found.experiment_id], max_results=10000)


def read_rows(workdir: Path, experiment: str) -> list[dict[str, str]]:
    with open(workdir / "results" / experiment / "report" / "runs.csv") as handle:
        return list(csv.DictReader(handle))


def cmd_outputs(workdir: str, experiment: str, n_rows: str) -> None:
    work = Path(workdir)
    report = work / "results" / experiment / "report"
    rows = read_rows(work, experiment)
    if len(rows) != int(n_rows):
        fail(f"runs.csv has {len(rows)} rows, expected {n_rows}")
    if not (report / "report.md").is_file():
        fail(f"{report / 'report.md'} is missing")
    runs = mlflow_runs(work, experiment)
    states = {}
    for run in runs:
        states[run.info.status] = states.get(run.info.status, 0) + 1
    if set(states) != {"FINISHED"}:
        fail(f"MLflow runs not all FINISHED: {states}")
    jobs = [run.data.tags["renyi_kd.job"] for run in runs if "renyi_kd.job" in run.data.tags]
    if len(jobs) != len(set(jobs)):
        fail(f"a job has more than one MLflow run: {sorted(jobs)}")
    finals = sum(job.startswith("final/") for job in jobs)
    if finals != int(n_rows):
        fail(f"{finals} final-run MLflow runs, expected {n_rows}")
    print(f"ok: runs.csv {len(rows)} rows, report.md present, {len(runs)} MLflow runs all FINISHED "
          f"({len(jobs)} jobs: teacher, {sum(j.startswith('tune/') for j in jobs)} studies, {finals} final runs; "
          f"{len(runs) - len(jobs)} nested trial runs)")


def cmd_compare(workdir_a: str, workdir_b: str, experiment: str) -> None:
    a = {(r["method"], r["seed"]): r for r in read_rows(Path(workdir_a), experiment)}
    b = {(r["method"], r["seed"]): r for r in read_rows(Path(workdir_b), experiment)}
    if set(a) != set(b):
        fail(f"different (method, seed) sets: {sorted(a)} vs {sorted(b)}")
    print(f"{'method':<12} {'seed':>4}  {'test_acc (A)':>14} {'test_acc (B)':>14}  {'test_nll (A)':>14} {'test_nll (B)':>14}")
    different = []
    for key in sorted(a):
        ra, rb = a[key], b[key]
        print(f"{key[0]:<12} {key[1]:>4}  {float(ra['test_acc']):>14.10f} {float(rb['test_acc']):>14.10f}"
              f"  {float(ra['test_nll']):>14.10f} {float(rb['test_nll']):>14.10f}")
        for column in ("test_acc", "test_nll", "test_ece", "agreement", "fidelity_kl", "lr", "weight_decay", "T", "beta"):
            if ra[column] != rb[column]:
                different.append(f"{key} {column}: {ra[column]} vs {rb[column]}")
    if different:
        fail("the two runs differ:\n  " + "\n  ".join(different))
    print(f"ok: all {len(a)} final runs identical (test_acc, test_nll, test_ece, agreement, fidelity_kl, tuned lr/"
          "weight_decay/T/beta)")


def tiny_study(method: str) -> str:
    """The study id of ``method`` in the tiny run's one cluster (teacher seed 0, repeat 0)."""
    return study_id(method, 0)


def study_files(workdir: str, experiment: str, method: str) -> StudyFiles:
    return Layout(Path(workdir) / "results" / experiment).study(tiny_study(method))


def study_trials(workdir: str, experiment: str, method: str) -> list[dict]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    path = study_files(workdir, experiment, method).journal
    if not path.exists():
        return []
    storage = optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(str(path)))
    # The method's study (``{experiment}/{study}`` with or without a settings digest); the newest if the
    # journal holds several.
    name = f"{experiment}/{tiny_study(method)}"
    names = [s.study_name for s in sorted(storage.get_all_studies(), key=lambda s: s._study_id)
             if s.study_name == name or s.study_name.startswith(f"{name}/")]
    if not names:  # the journal exists but the study is not created yet
        return []
    study = optuna.load_study(study_name=names[-1], storage=storage)
    return [{"number": t.number, "state": t.state.name, "value": t.value, "params": t.params,
             "user_attrs": t.user_attrs} for t in study.get_trials(deepcopy=False)]


def cmd_wait_trials(workdir: str, experiment: str, method: str, k: str, pid: str, timeout: str = "600") -> None:
    import os

    deadline = time.monotonic() + float(timeout)
    while time.monotonic() < deadline:
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            fail(f"snakemake (pid {pid}) ended before {k} trials of {method} completed")
        try:
            trials = study_trials(workdir, experiment, method)
        except Exception as error:  # the journal read while the job appends to it; try again
            print(f"(reading the journal: {error!r})", file=sys.stderr)
            trials = []
        complete = [t for t in trials if t["state"] == "COMPLETE"]
        if len(complete) >= int(k):
            print(json.dumps(trials))
            return
        time.sleep(0.2)
    fail(f"fewer than {k} trials COMPLETE after {timeout} s")


def cmd_resumed(workdir: str, experiment: str, method: str, n_trials: str, before_json: str) -> None:
    before = [t for t in json.loads(Path(before_json).read_text()) if t["state"] == "COMPLETE"]
    after = study_trials(workdir, experiment, method)
    by_number = {t["number"]: t for t in after}
    for trial in before:
        kept = by_number.get(trial["number"])
        if kept is None or any(kept[f] != trial[f] for f in TRIAL_FIELDS):
            fail(f"trial {trial['number']} completed before the kill was lost or changed: {trial} -> {kept}")
    counted = [t for t in after if t["state"] in ("COMPLETE", "PRUNED")
               or (t["state"] == "FAIL" and "budget_excluded" not in t["user_attrs"])]
    excluded = [t["user_attrs"]["budget_excluded"] for t in after if "budget_excluded" in t["user_attrs"]]
    interrupted = [reason for reason in excluded if reason.startswith("interrupted")]
    if len(counted) != int(n_trials):
        fail(f"{len(counted)} trials count towards the budget, expected {n_trials}: {after}")
    by_worker: dict[int, list[int]] = {}
    for trial in counted:
        by_worker.setdefault(trial["user_attrs"]["worker"], []).append(trial["number"])
    if sorted(by_worker) != [0, 1]:
        fail(f"expected the trials of two workers, got {by_worker}")
    with open(study_files(workdir, experiment, method).trials) as handle:
        csv_rows = list(csv.DictReader(handle))
    if len(csv_rows) != len(after):
        fail(f"trials.csv has {len(csv_rows)} rows, the journal {len(after)} trials")
    runs = mlflow_runs(Path(workdir), experiment)
    job = f"tune/{tiny_study(method)}"
    study_runs = [r for r in runs if r.data.tags.get("renyi_kd.job") == job]
    if [r.info.status for r in study_runs] != ["FINISHED"]:
        fail(f"expected one FINISHED MLflow run for {job}, got {[r.info.status for r in study_runs]}")
    trial_runs = [r for r in runs if r.data.tags.get("mlflow.parentRunId") == study_runs[0].info.run_id]
    trial_states: dict[str, int] = {}
    for run in trial_runs:
        trial_states[run.info.status] = trial_states.get(run.info.status, 0) + 1
    if trial_states.get("RUNNING"):
        fail(f"nested trial runs left RUNNING: {trial_states}")
    print(f"ok: {len(before)} trials completed before scancel kept unchanged (numbers {[t['number'] for t in before]}); "
          f"{len(counted) - len(before)} more run after the kill (by both workers); {len(interrupted)} interrupted trial(s) failed "
          f"and given back to the budget, {len(excluded) - len(interrupted)} started past the budget and excluded; "
          f"{len(counted)}/{n_trials} counted, by worker {by_worker}; "
          f"trials.csv {len(csv_rows)} rows; "
          f"one FINISHED MLflow study run, nested trial runs {trial_states}")


def cmd_gpu_flags(dryrun_log: str) -> None:
    import re
    from types import SimpleNamespace

    from snakemake_executor_plugin_slurm.submit_string import get_submit_command
    from snakemake_executor_plugin_slurm.utils import set_gres_string

    text = Path(dryrun_log).read_text()
    gpu_by_rule: dict[str, set[str]] = {}
    for rule, resources in re.findall(r"^(?:local)?rule (\w+):\n(?:    .*\n)*?    resources: (.*)$", text, re.M):
        found = re.search(r"\bgpu=(\d+)", resources)
        gpu_by_rule.setdefault(rule, set()).add(found.group(1) if found else "-")
    training = {"train_teacher", "export_logits", "tune", "final_seed0", "final_seed1"}  # tune_worker: K > 1 only

    def trains(rule: str) -> bool:
        return rule in training or rule == "tune_worker"

    wrong = {rule: gpus for rule, gpus in gpu_by_rule.items() if gpus != ({"1"} if trains(rule) else {"-"})}
    if not training <= set(gpu_by_rule) or wrong:
        fail(f"with runtime.device cuda, expected gpu=1 exactly on {sorted(training)}; got {gpu_by_rule}")

    class Resources(dict):
        __getattr__ = dict.__getitem__

    params = {"run_uuid": "uuid", "slurm_logfile": "log", "comment_str": "rule", "account": "", "partition": "",
              "workdir": "."}
    calls = {}
    for gpu in (0, 1):
        job = SimpleNamespace(resources=Resources(mem_mb=4000, runtime=60, cpus_per_task=1, gpu=gpu), threads=1)
        calls[gpu] = get_submit_command(job, params) + set_gres_string(job)
    if "--gpus=1" not in calls[1] or "--gpus" in calls[0] or "--gres" in calls[0]:
        fail(f"unexpected GPU flags: gpu=1 -> {calls[1]!r}; gpu=0 -> {calls[0]!r}")
    print(f"ok: with runtime.device cuda, gpu=1 on {sorted(training)} and no gpu on "
          f"{sorted(r for r in gpu_by_rule if not trains(r))}; the plugin adds '--gpus=1' for gpu=1 and nothing for gpu=0 "
          f"(gpu=0: {calls[0].split('--comment rule')[1].strip()!r})")


COMMANDS = {"gpu-flags": cmd_gpu_flags, "outputs": cmd_outputs, "compare": cmd_compare, "wait-trials": cmd_wait_trials, "resumed": cmd_resumed}

if __name__ == "__main__":
    COMMANDS[sys.argv[1]](*sys.argv[2:])
