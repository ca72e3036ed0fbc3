"""Text formatting for tables: numbers, LaTeX escaping, booktabs tabulars and Markdown tables.

The LaTeX written here is plain ASCII and needs only ``\\usepackage{booktabs}`` (symbols such as
``\\pm``, ``\\dagger``, ``\\ddagger`` and ``\\times`` are in the LaTeX kernel).
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

__all__ = [
    "UnknownCharacter",
    "Table",
    "fmt_float",
    "fmt_int",
    "fmt_mean_std",
    "fmt_p",
    "fmt_sci",
    "is_missing",
    "label_safe",
    "latex_escape",
]

DASH_TEXT = "–"
DASH_LATEX = "--"

_LATEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_LATEX_UNICODE = {
    "±": r"$\pm$", "α": r"$\alpha$", "β": r"$\beta$", "λ": r"$\lambda$", "σ": r"$\sigma$", "∂": r"$\partial$",
    "∞": r"$\infty$", "→": r"$\to$", "†": r"$^{\dagger}$", "‡": r"$^{\ddagger}$", "‖": r"$\|$", "×": r"$\times$",
    "≈": r"$\approx$", "−": r"$-$", "≤": r"$\le$", "≥": r"$\ge$", "≫": r"$\gg$", "≪": r"$\ll$", "≠": r"$\neq$",
    "²": r"$^2$", "·": r"$\cdot$", "–": "--", "—": "---", "…": r"\dots{}", "é": r"\'e", "ë": r'\"e', "ä": r'\"a',
    "ö": r'\"o', "ü": r'\"u', "§": r"\S{}", "¶": r"\P{}", "“": "``", "”": "''", "‘": "`", "’": "'", "\u00a0": "~",
    # In LaTeX's default OT1 encoding "<" and ">" print as inverted punctuation outside math.
    "<": r"$<$", ">": r"$>$",
}  # fmt: skip


class UnknownCharacter(ValueError):
    """A character with no LaTeX spelling in the table above (pdflatex would stop on it): add it there."""


def _is_math(piece: str) -> bool:
    return len(piece) > 1 and piece[0] == "$" and piece[-1] == "$"


def latex_escape(text: str, *, strict: bool = False) -> str:
    r"""Escape LaTeX special characters and map the Unicode symbols used in reports to ASCII LaTeX; adjacent symbols
    share one math run (``±−`` is ``$\pm-$``, never ``$$``). ``strict``: any other non-ASCII character raises
    :class:`UnknownCharacter` instead of passing through."""
    out: list[str] = []
    for char in str(text):
        piece = _LATEX_SPECIALS.get(char) or _LATEX_UNICODE.get(char)
        if piece is None:
            if strict and ord(char) > 127:
                raise UnknownCharacter(f"no LaTeX spelling for {char!r} (U+{ord(char):04X}) in {str(text)[:80]!r}")
            piece = char
        if out and _is_math(piece) and _is_math(out[-1]):
            out[-1] = out[-1][:-1] + piece[1:]
        else:
            out.append(piece)
    return "".join(out)


def label_safe(text: str) -> str:
    """``text`` with characters unsafe in a LaTeX label replaced by ``-``."""
    return re.sub(r"[^A-Za-z0-9_.:-]", "-", text)


def is_missing(value: object) -> bool:
    """True for None and NaN (the markers of "not applicable" in the inputs)."""
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def fmt_float(value: float | None, decimals: int, *, latex: bool = False) -> str:
    """Fixed-point number, or a dash when missing."""
    if is_missing(value):
        return DASH_LATEX if latex else DASH_TEXT
    return f"{float(value):.{decimals}f}"


def fmt_int(value: float | int | None, *, latex: bool = False) -> str:
    """Integer with thousands separators (a thin space in LaTeX, a comma in text)."""
    if is_missing(value):
        return DASH_LATEX if latex else DASH_TEXT
    text = f"{int(round(float(value))):,}"
    return text.replace(",", r"\,") if latex else text


def fmt_sci(value: float | None, *, latex: bool = False, digits: int = 2) -> str:
    """Scientific notation for learning rates and weight decays: ``3.0e-03`` or ``$3.0\\cdot 10^{-3}$``."""
    if is_missing(value):
        return DASH_LATEX if latex else DASH_TEXT
    value = float(value)
    if value == 0:
        return "0"
    exponent = math.floor(math.log10(abs(value)))
    mantissa = value / 10**exponent
    if round(mantissa, digits - 1) >= 10:
        mantissa /= 10
        exponent += 1
    if latex:
        return rf"${mantissa:.{digits - 1}f}\cdot 10^{{{exponent}}}$"
    return f"{mantissa:.{digits - 1}f}e{exponent:+03d}"


def fmt_p(p: float | None) -> str:
    """A p-value with four decimals, ``< 0.0001`` below that, ``n/a`` when missing."""
    if is_missing(p):
        return "n/a"
    return "< 0.0001" if p < 1e-4 else f"{p:.4f}"


def fmt_mean_std(mean: float, std: float, decimals: int, *, latex: bool = False) -> str:
    """``mean ± std`` (``mean$_{\\pm std}$`` in LaTeX); the std is left out when it is missing (a single seed)."""
    if is_missing(mean):
        return DASH_LATEX if latex else DASH_TEXT
    text = f"{mean:.{decimals}f}"
    if is_missing(std):
        return text
    if latex:
        # The spread as a subscript keeps thesis tables narrow: 94.18$_{\pm 1.76}$.
        return f"{text}$_{{\\pm {std:.{decimals}f}}}$"
    return f"{text} ± {std:.{decimals}f}"


@dataclass
class Table:
    """One report table in three renderings, cells already formatted.

    ``text_rows`` and ``latex_rows`` hold the same cells for Markdown and LaTeX; ``data`` holds the numbers
    behind them and becomes the CSV.
    """

    name: str
    caption: str
    text_header: list[str]
    latex_header: list[str]
    text_rows: list[list[str]]
    latex_rows: list[list[str]]
    data: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    latex_notes: list[str] = field(default_factory=list)
    align: str | None = None

    def to_markdown(self) -> str:
        """GitHub-flavoured Markdown table with the caption in bold above and the notes below."""
        frame = pd.DataFrame(self.text_rows, columns=self.text_header)
        body = frame.to_markdown(index=False, disable_numparse=True)
        parts = [f"**{self.caption}**", "", body]
        if self.notes:
            parts += [""] + [f"{note}  " for note in self.notes]
        return "\n".join(parts) + "\n"

    def html_body(self) -> str:
        """The caption, the table and its notes as an HTML fragment."""
        frame = pd.DataFrame(self.text_rows, columns=self.text_header)
        notes = "".join(f"<p>{html.escape(note)}</p>" for note in self.notes)
        return f"<h3>{html.escape(self.caption)}</h3>{frame.to_html(index=False, border=0)}{notes}"

    def to_html(self) -> str:
        """The table as a page of its own (what ``snakemake --report`` shows inline; Markdown it only offers
        as a download)."""
        return html_page(self.caption, self.html_body())

    def to_latex(self, label_prefix: str = "tab:") -> str:
        """A ``table`` float around a booktabs ``tabular``; ``\\input``-able, needs only booktabs."""
        ncols = len(self.latex_header)
        align = self.align or ("l" + "r" * (ncols - 1))
        lines = [
            "% Generated by renyi_kd.report; needs \\usepackage{booktabs}.",
            "\\begin{table}[htbp]",
            "  \\centering",
            "  \\small",
            "  \\setlength{\\tabcolsep}{3pt}",
            f"  \\caption{{{latex_escape(self.caption)}}}",
            f"  \\label{{{label_prefix}{self.name}}}",
            f"  \\begin{{tabular}}{{{align}}}",
            "    \\toprule",
            "    " + " & ".join(self.latex_header) + r" \\",
            "    \\midrule",
        ]
        lines += ["    " + " & ".join(row) + r" \\" for row in self.latex_rows]
        lines += ["    \\bottomrule", "  \\end{tabular}"]
        notes = self.latex_notes or [latex_escape(note) for note in self.notes]
        if notes:
            lines += ["  \\par\\smallskip", "  {\\footnotesize " + r" \\ ".join(notes) + "\\par}"]
        lines.append("\\end{table}")
        return "\n".join(lines) + "\n"

    def write(self, out_dir: Path, label_prefix: str = "tab:") -> list[Path]:
        """Write ``{name}.tex``, ``{name}.md``, ``{name}.html`` and ``{name}.csv`` under ``out_dir``; return the
        paths. The LaTeX label is ``{label_prefix}{name}``.
        """
        out_dir.mkdir(parents=True, exist_ok=True)
        paths = [out_dir / f"{self.name}.{ext}" for ext in ("tex", "md", "html", "csv")]
        paths[0].write_text(self.to_latex(label_prefix), encoding="utf-8")
        paths[1].write_text(self.to_markdown(), encoding="utf-8")
        paths[2].write_text(self.to_html(), encoding="utf-8")
        self.data.to_csv(paths[3], index=False)
        return paths


def html_page(title: str, body: str) -> str:
    """A standalone HTML page around ``body``, styled for tables."""
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        "<style>body{font-family:sans-serif}table{border-collapse:collapse}"
        "td,th{padding:2px 8px;border-bottom:1px solid #ccc;text-align:right}"
        "td:first-child,th:first-child{text-align:left}</style></head>"
        f"<body>{body}</body></html>\n"
    )


def check_rows(header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Every row has one cell per header column (a programming error otherwise)."""
    for row in rows:
        if len(row) != len(header):
            raise ValueError(f"row has {len(row)} cells but the header has {len(header)}: {row!r}")
