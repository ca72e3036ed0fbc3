"""The report's Markdown sentences as LaTeX for pdflatex: ``**bold**`` and ```code``` marked up, every other
character escaped by the report's own :func:`renyi_kd.report.formatting.latex_escape`, strictly: a non-ASCII
character without a LaTeX spelling raises instead of reaching pdflatex, so the chapter is plain ASCII and
compiles with the base packages (no Unicode engine, no font package)."""

from __future__ import annotations

import re

from renyi_kd.report.formatting import UnknownCharacter, latex_escape

__all__ = ["UnknownCharacter", "markdown_to_latex"]


def markdown_to_latex(text: str) -> str:
    """One Markdown paragraph of the report (bold, inline code, Unicode symbols) as ASCII LaTeX."""
    out = []
    for part in re.split(r"(\*\*.+?\*\*|`[^`]+`)", text):
        if part.startswith("**") and part.endswith("**") and len(part) > 4:
            out.append(r"\textbf{" + latex_escape(part[2:-2], strict=True) + "}")
        elif part.startswith("`") and part.endswith("`") and len(part) > 2:
            out.append(r"\texttt{" + latex_escape(part[1:-1], strict=True) + "}")
        else:
            out.append(latex_escape(part, strict=True))
    return "".join(out)
