"""`snakemake --lint` for CI: fails on any finding that the README's "Lint" section does not answer.

The README answers a finding with a bullet ``- *TITLE*: why`` under its ``### Lint`` heading, or
``- *TITLE* in `FILE`: why`` for findings in that file only; a finding is answered when its title starts
with TITLE. Answers that no longer match any finding are listed, so the README can drop them.

Usage: ``.venv/bin/python workflow/scripts/lint.py [README.md]``. The findings are read from the plain
text of ``snakemake --lint``: its ``--lint json`` prints text from the command line in this version, and
fails to serialise the snakefile names from the Python API.
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ANSWER = re.compile(r"^- \*(?P<title>[^*]+)\*(?: in `(?P<where>[^`]+)`)?:")
ITEM = re.compile(r"^Lints for (?P<item>.+):$")  # "snakefile FILE" or "rule NAME (line N, FILE)"
TITLE = re.compile(r"^    \* (?P<title>.+):$")
CLEAN = "Congratulations, your workflow is in a good condition!"


@dataclass(frozen=True)
class Finding:
    where: str  # the snakefile, and the rule if the finding is about one
    title: str


@dataclass(frozen=True)
class Answer:
    title: str
    where: str | None

    def answers(self, finding: Finding) -> bool:
        return finding.title.startswith(self.title) and (self.where is None or self.where in finding.where)


def answers(readme: str) -> list[Answer]:
    """The bullets of the README's ``### Lint`` section that answer a finding."""
    section = re.search(r"^### Lint$(?P<body>.*?)(?=^#)", readme + "\n#", flags=re.M | re.S)
    if section is None:
        raise SystemExit("README.md has no '### Lint' section: it is where lint findings are answered")
    return [Answer(m["title"], m["where"]) for line in section["body"].splitlines() if (m := ANSWER.match(line))]


def findings(snakefile: Path) -> list[Finding]:
    """Every finding of ``snakemake --lint`` on the workflow."""
    command = [sys.executable, "-m", "snakemake", "--lint", "--snakefile", str(snakefile), "--directory",
               str(snakefile.parent)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    found, item = [], None
    for line in (result.stdout + result.stderr).splitlines():
        if match := ITEM.match(line):
            item = match["item"].replace(str(ROOT) + "/", "")
        elif (match := TITLE.match(line)) and item:
            found.append(Finding(item, match["title"]))
    if not found and CLEAN not in result.stderr + result.stdout:
        raise SystemExit(f"snakemake --lint did not run (exit {result.returncode}):\n{result.stderr[-3000:]}")
    return found


def main(argv: list[str]) -> int:
    readme = Path(argv[0]) if argv else ROOT / "README.md"
    answered = answers(readme.read_text(encoding="utf-8"))
    found = findings(ROOT / "Snakefile")
    open_findings = sorted({f for f in found if not any(a.answers(f) for a in answered)}, key=lambda f: f.where)
    for answer in answered:
        if not any(answer.answers(f) for f in found):
            print(f"note: {readme.name} answers a finding that no longer occurs: {answer.title}")
    for finding in open_findings:
        print(f"{finding.where}: {finding.title}")
    if open_findings:
        print(f"snakemake --lint: {len(open_findings)} finding(s) not answered in the 'Lint' section of {readme.name}: "
              "fix them, or answer them there")
        return 1
    print(f"snakemake --lint: {len(found)} finding(s), each answered in {readme.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
