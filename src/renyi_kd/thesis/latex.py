"""The report's Markdown sentences as LaTeX for pdflatex: special characters escaped, ``**bold**`` and
```code``` marked up, and every non-ASCII character the sentences use written as a LaTeX command, so the chapter
is plain ASCII and compiles with the base packages (no Unicode engine, no font package)."""

from __future__ import annotations

import re

__all__ = ["UnknownCharacter", "markdown_to_latex"]

_SPECIAL = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#", "_": r"\_",
            "%": r"\%", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}  # fmt: skip
_UNICODE = {
    "α": r"$\alpha$", "β": r"$\beta$", "σ": r"$\sigma$", "±": r"$\pm$", "−": r"$-$", "–": "--", "—": "---",
    "‖": r"$\|$", "→": r"$\to$", "≈": r"$\approx$", "≤": r"$\le$", "≥": r"$\ge$", "≫": r"$\gg$", "≪": r"$\ll$",
    "×": r"$\times$", "²": r"$^2$", "·": r"$\cdot$", "…": r"\dots{}", "é": r"\'e", "ä": r'\"a', "ö": r'\"o',
    "ü": r'\"u', "“": "``", "”": "''", "‘": "`", "’": "'", "\u00a0": "~", "≠": r"$\neq$", "∞": r"$\infty$",
}  # fmt: skip


class UnknownCharacter(ValueError):
    """A character the chapter would not compile with: add it to the table above."""


def _escape(text: str) -> str:
    out = []
    for char in text:
        if char in _SPECIAL:
            out.append(_SPECIAL[char])
        elif char in _UNICODE:
            out.append(_UNICODE[char])
        elif ord(char) < 128:
            out.append(char)
        else:
            raise UnknownCharacter(f"no LaTeX spelling for {char!r} (U+{ord(char):04X}) in {text[:80]!r}")
    return "".join(out)


def markdown_to_latex(text: str) -> str:
    """One Markdown paragraph of the report (bold, inline code, Unicode symbols) as ASCII LaTeX."""
    parts = re.split(r"(\*\*.+?\*\*|`[^`]+`)", text)
    out = []
    for part in parts:
        if part.startswith("**") and part.endswith("**") and len(part) > 4:
            out.append(r"\textbf{" + _escape(part[2:-2]) + "}")
        elif part.startswith("`") and part.endswith("`") and len(part) > 2:
            out.append(r"\texttt{" + _escape(part[1:-1]) + "}")
        else:
            out.append(_escape(part))
    return "".join(out).replace("$$", "")  # adjacent symbols share one math run
