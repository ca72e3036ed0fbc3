"""``python -m renyi_kd.report EXP_DIR [--methods ce kl ...]``: build the report of one experiment."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from renyi_kd.report import build_report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m renyi_kd.report", description=__doc__)
    parser.add_argument("exp_dir", type=Path, help="experiment folder, e.g. results/default")
    parser.add_argument("--methods", nargs="+", help="method order and colour mapping (default: from runs.csv)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("fontTools").setLevel(logging.WARNING)  # PDF font subsetting chatter
    path = build_report(args.exp_dir, methods=args.methods)
    logging.getLogger("renyi_kd.report").info("report: %s", path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
