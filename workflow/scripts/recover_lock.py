"""Clear the lock a killed Snakemake left behind, but never one a live Snakemake holds.

A Snakemake killed with SIGKILL (or a lost terminal, a rebooted node) leaves its lock in
``.snakemake/locks/``, and the next run stops with ``LockException`` ("Directory cannot be locked").
Run before Snakemake (``make run`` does): when the working directory is locked and no Snakemake process
of this working directory is alive, the lock is stale and ``snakemake --unlock`` removes it; when one is
alive, this exits with status 1 and names it, since two Snakemakes must never run the same workflow.

Usage: recover_lock.py [SNAKEMAKE_ARGS ...]   (the arguments the run will use: --directory is honoured)
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import psutil


def workdir_of(args: list[str], cwd: Path) -> Path:
    """The working directory a Snakemake command line runs in (``--directory``/``-d``, else its cwd)."""
    for flag in ("--directory", "-d"):
        if flag in args[:-1]:
            return (cwd / args[args.index(flag) + 1]).resolve()
        prefix = f"{flag}="
        for arg in args:
            if arg.startswith(prefix):
                return (cwd / arg[len(prefix):]).resolve()
    return cwd.resolve()


def live_snakemakes(workdir: Path) -> list[psutil.Process]:
    """Snakemake main processes (not their jobs) whose working directory is ``workdir``."""
    found = []
    for process in psutil.process_iter(["pid", "cmdline", "cwd"]):
        cmdline = process.info["cmdline"] or []
        if process.pid == psutil.Process().pid or not process.info["cwd"]:
            continue
        program = next((Path(part).name for part in cmdline[:3] if "snakemake" in Path(part).name), None)
        is_job = "--target-jobs" in cmdline or "--mode" in cmdline  # a job's own snakemake, not the workflow's
        if program and not is_job and workdir_of(cmdline, Path(process.info["cwd"])) == workdir:
            found.append(process)
    return found


def main(argv: list[str]) -> int:
    workdir = workdir_of(argv, Path.cwd())
    locks = workdir / ".snakemake" / "locks"
    if not locks.is_dir() or not any(locks.iterdir()):
        return 0
    alive = live_snakemakes(workdir)
    if alive:
        listed = ", ".join(f"PID {p.pid} ({' '.join(p.info['cmdline'][:4])} ...)" for p in alive)
        print(f"{workdir} is locked by a running Snakemake: {listed}. Wait for it or stop it "
              f"(kill {' '.join(str(p.pid) for p in alive)}); do not unlock a live run.", file=sys.stderr)
        return 1
    print(f"{workdir}: removing the lock of a Snakemake that is no longer running (snakemake --unlock)",
          file=sys.stderr)
    command = [str(Path(sys.executable).parent / "snakemake"), "--unlock", *argv]
    return subprocess.run(command, stdout=subprocess.DEVNULL).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
