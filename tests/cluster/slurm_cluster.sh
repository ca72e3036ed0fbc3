# shellcheck shell=bash
# A throw-away one-node SLURM cluster for the tests in this folder (sourced, not run): Debian's slurm-wlm
# 22.05 and munge, every file (config, keys, state, spool, logs, sockets) in one directory, daemons started
# by pid and stopped by pid.
#
#   source tests/cluster/slurm_cluster.sh
#   slurm_install                 # apt-get slurm-wlm + munge when slurmctld is missing (root)
#   slurm_start DIR               # munged, slurmctld, slurmd; exports SLURM_CONF; waits for the node
#   slurm_stop                    # scancel what is left, stop the three daemons (call it from an EXIT trap)
#   slurm_submitted_jobs          # how many jobs sbatch submitted, from slurmctld's log
#
# The daemons run in sessions of their own (setsid, which execs in place: $! is the daemon's pid), so that a
# Ctrl-C or a `timeout` aimed at the test's process group reaches snakemake, which then cancels its jobs,
# while the cluster stays up until slurm_stop.
# Sandbox choices: no cgroups (proctrack/pgid, task/none), no accounting (accounting_storage/none),
# SlurmUser=root, free ports and a private munge socket, so a system SLURM or munge is left alone.

SLURM_PIDS=()

slurm_install() {
  if command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v munged >/dev/null; then
    return 0
  fi
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "slurm_install: slurmctld is missing and cannot be installed here (needs root and apt-get)" >&2
    return 1
  fi
  echo "== installing slurm-wlm and munge (apt)"
  # policy-rc.d 101 keeps the packages from starting the system's own munge/slurm services on install.
  local policy=/usr/sbin/policy-rc.d made_policy=0 status=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && made_policy=1
  fi
  { apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
  } || status=$?
  if [ "$made_policy" = 1 ]; then rm -f "$policy"; fi
  return "$status"
}

# Waits until COMMAND succeeds, at most SECONDS.
_slurm_wait_for() {
  local seconds=$1; shift
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then return 1; fi
    sleep 0.5
  done
}

_slurm_node_idle() {
  [ "$(sinfo --noheader --nodes="$SLURM_NODE" --format=%T 2>/dev/null)" = idle ]
}

slurm_start() {
  local top=$1
  SLURM_DIR="$top/slurm"
  SLURM_NODE=$(hostname -s)
  mkdir -p "$SLURM_DIR"/{munge,state,spool,log,bin}
  # munged wants every directory above its socket searchable by all; mktemp -d makes 0700 directories.
  chmod 755 "$top" "$SLURM_DIR" "$SLURM_DIR/munge"

  # munge: a key of its own (a system /etc/munge/munge.key belongs to the munge user, and munged as root
  # refuses a key it does not own), served on a private socket.
  local munge="$SLURM_DIR/munge"
  if [ ! -s "$munge/munge.key" ]; then
    if command -v mungekey >/dev/null; then
      mungekey --create --keyfile="$munge/munge.key"
    else
      dd if=/dev/urandom of="$munge/munge.key" bs=128 count=1 status=none
    fi
    chmod 600 "$munge/munge.key"
  fi
  setsid munged --foreground --socket="$munge/munge.sock" --key-file="$munge/munge.key" \
    --log-file="$munge/munged.log" --pid-file="$munge/munged.pid" --seed-file="$munge/munged.seed" \
    >>"$munge/munged.out" 2>&1 &
  SLURM_PIDS+=($!)
  if ! _slurm_wait_for 20 munge --socket="$munge/munge.sock" --no-input; then
    echo "munged did not start:" >&2; tail -n 20 "$munge/munged.out" >&2; return 1
  fi

  # Memory a bit under what is available now, so that jobs asking for it are not refused at submission.
  local real_mem
  real_mem=$(awk '/^MemAvailable:/ {printf "%d", $2 / 1024 * 0.9}' /proc/meminfo)
  export SLURM_REAL_MEMORY=$real_mem
  # Two free TCP ports for slurmctld and slurmd, so that a system SLURM or a second test run is left alone.
  local ports
  ports=$("${PYTHON:-python3}" -c 'import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("", 0))
print(*(x.getsockname()[1] for x in s))')
  export SLURM_CONF="$SLURM_DIR/slurm.conf"
  cat >"$SLURM_CONF" <<EOF
# One-node test cluster written by tests/cluster/slurm_cluster.sh
ClusterName=renyikd-test
SlurmctldHost=$SLURM_NODE
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$munge/munge.sock
SlurmctldPort=${ports% *}
SlurmdPort=${ports#* }
StateSaveLocation=$SLURM_DIR/state
SlurmdSpoolDir=$SLURM_DIR/spool
SlurmctldPidFile=$SLURM_DIR/slurmctld.pid
SlurmdPidFile=$SLURM_DIR/slurmd.pid
SlurmctldLogFile=$SLURM_DIR/log/slurmctld.log
SlurmdLogFile=$SLURM_DIR/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
# No cgroups in a container sandbox, so a job's processes are tracked by process group, and tasks are not
# bound to CPUs. (proctrack/linuxproc, the other cgroup-free choice, once SIGKILLed a process of a local
# snakemake run beside the cluster here; it finds a job's processes through pids and parent pids.)
ProctrackType=proctrack/pgid
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
# no slurmdbd: sacct and sacctmgr do not work, squeue reports jobs until MinJobAge after they end
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MinJobAge=300
MpiDefault=none
SwitchType=switch/none
ReturnToService=2
KillWait=10
DefMemPerCPU=500
NodeName=$SLURM_NODE CPUs=$(nproc) RealMemory=$real_mem State=UNKNOWN
PartitionName=debug Nodes=$SLURM_NODE Default=YES MaxTime=INFINITE State=UP
EOF

  # The jobstep plugin runs each job's command through `srun` with every SLURM_* variable but the job's
  # identity removed, SLURM_CONF included; on a real cluster srun then reads /etc/slurm/slurm.conf. This
  # cluster's config lives here, so an srun earlier on PATH (exported to the jobs) puts SLURM_CONF back.
  printf '#!/bin/sh\nSLURM_CONF=%s exec %s "$@"\n' "$SLURM_CONF" "$(command -v srun)" >"$SLURM_DIR/bin/srun"
  chmod +x "$SLURM_DIR/bin/srun"
  export PATH="$SLURM_DIR/bin:$PATH"

  setsid slurmctld -D -f "$SLURM_CONF" >>"$SLURM_DIR/log/slurmctld.out" 2>&1 &
  SLURM_PIDS+=($!)
  setsid slurmd -D -f "$SLURM_CONF" >>"$SLURM_DIR/log/slurmd.out" 2>&1 &
  SLURM_PIDS+=($!)
  if ! _slurm_wait_for 60 _slurm_node_idle; then
    echo "node $SLURM_NODE did not become idle:" >&2
    sinfo >&2 || true
    tail -n 30 "$SLURM_DIR"/log/* >&2
    return 1
  fi
  echo "== SLURM up: node $SLURM_NODE, $(nproc) CPUs, RealMemory=${real_mem}M, partition debug, SLURM_CONF=$SLURM_CONF"
}

_slurm_queue_empty() {
  [ -z "$(squeue --noheader --states=PENDING,RUNNING,COMPLETING,CONFIGURING,SUSPENDED --format=%i 2>/dev/null)" ]
}

_slurm_pid_alive() {
  kill -0 "$1" 2>/dev/null && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]
}

slurm_stop() {
  if [ "${#SLURM_PIDS[@]}" = 0 ]; then return 0; fi
  if [ -n "${SLURM_CONF:-}" ] && squeue >/dev/null 2>&1; then
    local left
    left=$(squeue --noheader --format=%i 2>/dev/null | tr '\n' ' ')
    if [ -n "${left// /}" ]; then
      echo "== cancelling jobs still queued: $left"
      # shellcheck disable=SC2086
      scancel $left 2>/dev/null || true
      _slurm_wait_for 60 _slurm_queue_empty || echo "warning: jobs still listed after scancel" >&2
    fi
  fi
  local pid
  # slurmd, slurmctld, then munged (reverse start order); each was started by this script.
  for ((i = ${#SLURM_PIDS[@]} - 1; i >= 0; i--)); do
    pid=${SLURM_PIDS[i]}
    kill -TERM "$pid" 2>/dev/null || continue
    for _ in $(seq 40); do _slurm_pid_alive "$pid" || break; sleep 0.25; done
    if _slurm_pid_alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
    wait "$pid" 2>/dev/null || true
  done
  # Job step daemons of this cluster that outlived their job: slurmstepd processes started by this slurmd,
  # recognised by this cluster's SLURM_CONF in their environment (another cluster's are left alone).
  for pid in $(pgrep -x slurmstepd || true); do
    _slurm_pid_alive "$pid" || continue  # a zombie nobody reaped is not running
    tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qxF "SLURM_CONF=$SLURM_CONF" || continue
    echo "warning: stopping leftover slurmstepd $pid" >&2
    kill -KILL "$pid" 2>/dev/null || true
  done
  local alive=""
  for pid in "${SLURM_PIDS[@]}"; do if _slurm_pid_alive "$pid"; then alive+=" $pid"; fi; done
  SLURM_PIDS=()
  if [ -n "$alive" ]; then echo "error: daemons still running:$alive" >&2; return 1; fi
  echo "== SLURM stopped (munged, slurmctld, slurmd)"
}

# Jobs submitted to this cluster since it started: slurmctld logs one line per sbatch.
slurm_submitted_jobs() {
  grep -c "_slurm_rpc_submit_batch_job: JobId=" "$SLURM_DIR/log/slurmctld.log" || true
}
