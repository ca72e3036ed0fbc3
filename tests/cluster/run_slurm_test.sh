#!/usr/bin/env bash
# The workflow on a real SLURM cluster: a one-node cluster started here (slurm_cluster.sh: Debian's
# slurm-wlm and munge, no accounting, no cgroups), the tiny end-to-end config submitted job by job with
# workflow/profiles/slurm, then:
#   0. with runtime.device: cuda, the training rules (and only they) would ask sbatch for --gpus=1 (dry run);
#   1. outputs and MLflow runs checked, sbatch submissions counted;
#   2. a study worked on by two SLURM jobs at once (tuning.workers_per_study: 2), one of them killed with
#      scancel mid-study; the next snakemake invocation reruns that worker, which resumes the study keeping
#      the trials that had completed, and the budget is still exactly n_trials;
#   3. the same config run locally (--cores 2, beside part 2): final numbers and tuned hyperparameters must
#      be identical to part 1's.
# Run by `make test-slurm` (root and apt-get needed the first time, to install slurm-wlm and munge).
# SLURM_TEST_KEEP=1 keeps the temporary directory (it is kept anyway on failure); SLURM_TEST_PARTS="0 1"
# runs parts 0 and 1 only (parts 2 and 3 need part 1).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VENV=${VENV:-$ROOT/.venv}
PYTHON="$VENV/bin/python"
SNAKEMAKE="$VENV/bin/snakemake"
HERE="$ROOT/tests/cluster"
PARTS=${SLURM_TEST_PARTS:-"0 1 2 3"}
EXP=tiny-slurm
STARTED=$SECONDS

# shellcheck source=tests/cluster/slurm_cluster.sh
source "$HERE/slurm_cluster.sh"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/renyi-kd-slurm.XXXXXX")
CURRENT=""   # the workflow directory of the step that runs now, for the logs shown on failure

show_failure_logs() {
  echo "---- failure diagnostics (workdir $CURRENT) ----" >&2
  if [ -n "$CURRENT" ] && [ -d "$CURRENT" ]; then
    local log
    for log in "$CURRENT"/snakemake.*.log; do
      [ -f "$log" ] && { echo "== tail of $log" >&2; tail -n 40 "$log" >&2; }
    done
    # SLURM logs of failed jobs (the plugin deletes those of successful jobs unless told to keep them).
    while IFS= read -r log; do
      echo "== tail of $log" >&2; tail -n 30 "$log" >&2
    done < <(grep -lE "Error|error|Traceback|CANCELLED|Killed" -r "$CURRENT/.snakemake/slurm_logs" 2>/dev/null | head -n 8)
    while IFS= read -r log; do
      echo "== tail of $log" >&2; tail -n 20 "$log" >&2
    done < <(grep -lE "Error|Traceback" -r "$CURRENT/results" --include='*.log' 2>/dev/null | head -n 8)
  fi
  if [ -n "${SLURM_DIR:-}" ] && [ -f "$SLURM_DIR/log/slurmctld.log" ]; then
    echo "== tail of slurmctld.log" >&2; tail -n 15 "$SLURM_DIR/log/slurmctld.log" >&2
    echo "== tail of slurmd.log" >&2; tail -n 15 "$SLURM_DIR/log/slurmd.log" >&2
  fi
}

finish() {
  local status=$?
  trap - EXIT INT TERM
  exec 1>&3 2>&4  # a signal can land inside a redirected command; report on the script's own output
  if [ "$status" != 0 ]; then show_failure_logs || true; fi
  if [ -n "${LOCAL_PID:-}" ]; then kill -TERM "$LOCAL_PID" 2>/dev/null || true; wait "$LOCAL_PID" 2>/dev/null || true; fi
  slurm_stop || status=1
  if [ "${SLURM_TEST_KEEP:-0}" = 1 ] || [ "$status" != 0 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
  local took=$((SECONDS - STARTED))
  if [ "$status" = 0 ]; then
    echo "== test-slurm passed in $((took / 60))m$((took % 60))s"
  else
    echo "== test-slurm FAILED (exit $status) after $((took / 60))m$((took % 60))s" >&2
  fi
  exit "$status"
}
exec 3>&1 4>&2
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Jobs must use the SQLite store of their own workflow directory, whatever the caller's environment says.
while IFS= read -r name; do unset "$name"; done < <(compgen -e | grep '^MLFLOW_' || true)

# The tiny config (tests/test_workflow.py's) under experiment $EXP with one job per seed (final.seeds_per_job: 1,
# the cluster shape) and two methods, the student alone and Hinton's KD: every kind of job goes through sbatch
# with the fewest rounds of jobs (each round waits for the plugin's status checks).
METHODS="{ce: null, kl: null}"
N_ROWS=4   # final runs: 2 methods x 2 seeds
new_workdir() {
  local dir="$WORK/$1"; shift
  mkdir -p "$dir"
  "$PYTHON" "$ROOT/tests/tiny_config.py" "$EXP" "$dir/config.yaml" final.seeds_per_job=1 "methods=$METHODS" "$@"
  echo "$dir"
}

# snakemake on SLURM with the repository's profile. --workflow-profile none: see the profile's header.
# Test-only flags: the first status check after 3 s instead of 40 (the jobs here last seconds) and the
# SLURM logs of successful jobs kept, to count them.
snakemake_slurm() {
  local dir=$1; shift
  "$SNAKEMAKE" --snakefile "$ROOT/Snakefile" --directory "$dir" --configfile "$dir/config.yaml" \
    --executor slurm --profile "$ROOT/workflow/profiles/slurm" --workflow-profile none \
    "${SMALL_NODE[@]}" --slurm-init-seconds-before-status-checks 3 --slurm-keep-successful-logs "$@"
}

slurm_install
slurm_start "$WORK"
echo "== sinfo"; sinfo
# The training rules ask for up to 8000 MB; SLURM refuses a job that asks for more than the node has. On a
# small machine the tiny jobs are given half the node each instead.
SMALL_NODE=()
if [ "$SLURM_REAL_MEMORY" -lt 8000 ]; then
  half=$((SLURM_REAL_MEMORY / 2))
  SMALL_NODE=(--set-resources "train_teacher:mem_mb=$half" "export_logits:mem_mb=$half" "tune_worker:mem_mb=$half"
              "tune:mem_mb=$half" "final_seed0:mem_mb=$half" "final_seed1:mem_mb=$half")
  echo "small node: mem_mb of the training rules set to $half"
fi

if [[ " $PARTS " == *" 0 "* ]]; then
  echo "== part 0: GPU requests (dry run of the tiny config with runtime.device: cuda; no GPU needed)"
  GPU_DRY=$(new_workdir gpu-dry-run runtime.device=cuda)
  CURRENT=$GPU_DRY
  snakemake_slurm "$GPU_DRY" --dry-run >"$GPU_DRY/snakemake.dry-run.log" 2>&1
  "$PYTHON" "$HERE/slurm_checks.py" gpu-flags "$GPU_DRY/snakemake.dry-run.log"
fi

# ---------------------------------------------------------------------------------------------------------
echo "== part 1: the tiny config on SLURM (2 methods x 2 seeds, 2 trials of 2 epochs per study)"
SLURM_RUN=$(new_workdir on-slurm)
CURRENT=$SLURM_RUN
t0=$SECONDS
# The partition through the profile's environment variable (part 2 leaves it unset: the default partition).
RENYI_KD_SLURM_PARTITION=debug snakemake_slurm "$SLURM_RUN" --verbose >"$SLURM_RUN/snakemake.1.log" 2>&1
echo "snakemake on SLURM finished in $((SECONDS - t0)) s"
"$PYTHON" "$HERE/slurm_checks.py" outputs "$SLURM_RUN" "$EXP" "$N_ROWS"

sbatch_calls=$(grep -c "sbatch call: sbatch" "$SLURM_RUN/snakemake.1.log" || true)
slurm_logs=$(find "$SLURM_RUN/.snakemake/slurm_logs" -name '*.log' | wc -l)
submitted=$(slurm_submitted_jobs)
steps=$(grep -oE "[0-9]+ of [0-9]+ steps \(100%\) done" "$SLURM_RUN/snakemake.1.log" | tail -n 1 | cut -d' ' -f1)
local_jobs=$(grep -cE "^localrule " "$SLURM_RUN/snakemake.1.log" || true)
echo "jobs through sbatch: $submitted (slurmctld log), $sbatch_calls sbatch calls (snakemake), $slurm_logs SLURM job logs;" \
  "snakemake steps: $steps, of which $local_jobs on the submit host (rule all)"
if [ "$submitted" != "$sbatch_calls" ] || [ "$submitted" != "$slurm_logs" ] || [ "$submitted" != $((steps - local_jobs)) ]; then
  echo "FAIL: sbatch counts disagree" >&2; exit 1
fi
echo "example: $(grep -m1 -oE "sbatch call: sbatch .*rule_tune[^ ]*.* -D [^ ]+" "$SLURM_RUN/snakemake.1.log" | sed -E "s/--wrap=.*//" | cut -c1-400)"
if grep "sbatch call:" "$SLURM_RUN/snakemake.1.log" | grep -qE -- "--gpus|--gres"; then
  echo "FAIL: a job asked for a GPU although runtime.device is not cuda" >&2; exit 1
fi
if grep "sbatch call:" "$SLURM_RUN/snakemake.1.log" | grep -vq -- "-p debug"; then
  echo "FAIL: a job was not sent to partition debug" >&2; exit 1
fi

# ---------------------------------------------------------------------------------------------------------
# Part 3's local run goes on beside part 2, whose SLURM jobs mostly wait for status checks.
LOCAL_PID=""
if [[ " $PARTS " == *" 3 "* ]]; then
  LOCAL_RUN=$(new_workdir on-local)
  "$SNAKEMAKE" --snakefile "$ROOT/Snakefile" --directory "$LOCAL_RUN" --configfile "$LOCAL_RUN/config.yaml" \
    --cores 2 --workflow-profile none >"$LOCAL_RUN/snakemake.local.log" 2>&1 &
  LOCAL_PID=$!
fi

if [[ " $PARTS " == *" 2 "* ]]; then
  echo "== part 2: two SLURM jobs on one study, one killed with scancel mid-study, then rerun snakemake"
  # In part 1's directory, a third method with a longer study (6 trials x 20 epochs, no pruning: long enough
  # to be killed between its 2nd and 6th trial) and two workers. Only its study runs: the teacher, logits
  # and tracking store of part 1 are reused, since their config sections did not change.
  N_TRIALS=6
  "$PYTHON" "$ROOT/tests/tiny_config.py" "$EXP" "$SLURM_RUN/config.yaml" final.seeds_per_job=1 "methods={ce: null, kl: null, renyi-a2: null}" \
    tuning.n_trials=$N_TRIALS tuning.epochs=20 tuning.pruner.name=none tuning.workers_per_study=2
  CURRENT=$SLURM_RUN
  TARGET="results/$EXP/tune/renyi-a2/teacher0/repeat0/best.json"   # its one cluster: teacher seed 0, repeat 0
  t0=$SECONDS
  submitted_before=$(slurm_submitted_jobs)
  # --retries 0: the killed job is not resubmitted by this invocation; the next invocation must pick it up.
  # No RENYI_KD_SLURM_PARTITION here: jobs go to the cluster's default partition.
  snakemake_slurm "$SLURM_RUN" --retries 0 "$TARGET" >"$SLURM_RUN/snakemake.2a.log" 2>&1 &
  first=$!
  "$PYTHON" "$HERE/slurm_checks.py" wait-trials "$SLURM_RUN" "$EXP" renyi-a2 2 "$first" >"$WORK/before.json"
  workers=$(squeue --noheader --format="%i %k" | awk '$2 ~ /^rule_tune_worker_/ {print $1}')
  echo "worker jobs of the study in squeue: $(echo $workers)"
  [ "$(echo "$workers" | wc -w)" = 2 ] || { echo "FAIL: expected 2 tune_worker jobs in squeue" >&2; exit 1; }
  job=$(echo "$workers" | head -n 1)
  scancel "$job"
  echo "scancel $job (a worker of tune/renyi-a2) with $("$PYTHON" -c 'import json,sys; t=json.load(open(sys.argv[1])); print(sum(x["state"]=="COMPLETE" for x in t), "trial(s) complete and", sum(x["state"]=="RUNNING" for x in t), "running")' "$WORK/before.json")"
  if wait "$first"; then
    echo "FAIL: snakemake succeeded although a worker job was cancelled" >&2; exit 1
  fi
  state=$(squeue --noheader --states=all --jobs="$job" --format=%T 2>/dev/null || true)
  echo "first invocation failed as expected (job $job: ${state:-gone}; $(($(slurm_submitted_jobs) - submitted_before)) job(s) submitted)"
  [ ! -e "$SLURM_RUN/$TARGET" ] || { echo "FAIL: best.json exists after the kill" >&2; exit 1; }
  snakemake_slurm "$SLURM_RUN" "$TARGET" >"$SLURM_RUN/snakemake.2b.log" 2>&1
  echo "second invocation: $(grep -oE "[0-9]+ of [0-9]+ steps \(100%\) done" "$SLURM_RUN/snakemake.2b.log" | tail -n 1); $((SECONDS - t0)) s for both"
  "$PYTHON" "$HERE/slurm_checks.py" resumed "$SLURM_RUN" "$EXP" renyi-a2 "$N_TRIALS" "$WORK/before.json"
fi

# ---------------------------------------------------------------------------------------------------------
if [ -n "$LOCAL_PID" ]; then
  echo "== part 3: the tiny config run locally (--cores 2, started beside part 2), compared with part 1"
  CURRENT=$LOCAL_RUN
  status=0; wait "$LOCAL_PID" || status=$?
  LOCAL_PID=""
  [ "$status" = 0 ] || { echo "FAIL: local snakemake exited with $status" >&2; exit 1; }
  echo "local snakemake took $(grep -oE "^Elapsed time: [0-9:]+" "$LOCAL_RUN/snakemake.local.log" | tail -n 1 | cut -d' ' -f3)"
  "$PYTHON" "$HERE/slurm_checks.py" outputs "$LOCAL_RUN" "$EXP" "$N_ROWS"
  echo "A = SLURM (part 1), B = local"
  "$PYTHON" "$HERE/slurm_checks.py" compare "$SLURM_RUN" "$LOCAL_RUN" "$EXP"
fi

echo "== jobs submitted through sbatch in total: $(slurm_submitted_jobs)"
