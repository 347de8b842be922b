"""Math in answers -> MathML, at import time.

The seed writes formulas two ways: `$...$` in the Markdown itself, and `<!-- $...$ -->` comments
next to an `<img>` that asked an outside renderer for the same formula. Both become MathML here;
the comment's image is dropped. Fenced and inline code keep their text as written.
"""

from __future__ import annotations

import html
import re
from typing import Any

from latex2mathml.converter import convert as latex_to_mathml

_MATH_COMMENT = re.compile(
    r"<!--(?P<body>(?:(?!-->).)*?\$(?:(?!-->).)*?)-->"
    r"(?P<img>[ \t]*<img\b[^>]*>|\s*<(?P<wrap>div|p)\b[^>]*>\s*<img\b[^>]*>\s*</(?P=wrap)>)",
    re.S,
)
_INLINE_CODE = re.compile(r"(?<!`)(`+)(?!`).+?(?<!`)\1(?!`)", re.S)
_MATH_SEGMENT = re.compile(r"\$\$(?P<block>.+?)\$\$|\$(?P<inline>[^$]+?)\$", re.S)
_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
_TOKEN = re.compile("\ue000(\\d+)\ue001")
_BLOCK_TOKEN = re.compile("<p>\ue000(\\d+)\ue001</p>")

MATHML_TAGS = {
    "math",
    "mrow",
    "mi",
    "mo",
    "mn",
    "ms",
    "mtext",
    "mspace",
    "msup",
    "msub",
    "msubsup",
    "mfrac",
    "msqrt",
    "mroot",
    "mover",
    "munder",
    "munderover",
    "mstyle",
    "mpadded",
    "mphantom",
    "menclose",
    "mtable",
    "mtr",
    "mtd",
    "mlabeledtr",
    "mmultiscripts",
    "mprescripts",
    "none",
    "merror",
    "semantics",
    "annotation",
}
MATHML_ATTRS = {
    "display",
    "xmlns",
    "mathvariant",
    "stretchy",
    "fence",
    "separator",
    "lspace",
    "rspace",
    "accent",
    "accentunder",
    "linethickness",
    "columnalign",
    "rowalign",
    "columnspacing",
    "rowspacing",
    "columnlines",
    "rowlines",
    "frame",
    "displaystyle",
    "scriptlevel",
    "width",
    "height",
    "depth",
    "minsize",
    "maxsize",
    "movablelimits",
    "symmetric",
    "largeop",
    "form",
    "notation",
    "encoding",
    "voffset",
    "align",
    "columnspan",
    "rowspan",
}


def render_inline_math(self: Any, tokens: Any, idx: int, options: Any, env: Any) -> str:
    return f'<span class="math-inline">{_latex(str(tokens[idx].content).strip(), "inline")}</span>'


def render_block_math(self: Any, tokens: Any, idx: int, options: Any, env: Any) -> str:
    return f'<div class="math-block">{_latex(str(tokens[idx].content).strip(), "block")}</div>\n'


def extract_math(markdown: str) -> tuple[str, list[str]]:
    """Replace math comments (outside fenced code) with placeholder tokens; returns the MathML."""
    maths: list[str] = []
    out: list[str] = []
    chunk: list[str] = []
    fence: str | None = None

    def flush() -> None:
        if chunk:
            out.append(_outside_code("\n".join(chunk), maths))
            chunk.clear()

    for line in markdown.split("\n"):
        match = _FENCE.match(line)
        if fence is None and match:
            flush()
            fence = match[1]
            out.append(line)
        elif fence is not None:
            if match and match[1][0] == fence[0] and len(match[1]) >= len(fence):
                fence = None
            out.append(line)
        else:
            chunk.append(line)
    flush()
    return "\n".join(out), maths


def _outside_code(text: str, maths: list[str]) -> str:
    """Math comments turned into tokens, except inside inline code (which shows them as is)."""
    parts: list[str] = []
    last = 0
    for code in _INLINE_CODE.finditer(text):
        parts.append(_MATH_COMMENT.sub(lambda m: _math_token(m, maths), text[last : code.start()]))
        parts.append(code[0])
        last = code.end()
    parts.append(_MATH_COMMENT.sub(lambda m: _math_token(m, maths), text[last:]))
    return "".join(parts)


def _math_token(match: re.Match[str], maths: list[str]) -> str:
    body = match["body"].strip()
    block = body.startswith("$$") and body.endswith("$$")
    maths.append(_math_html(body, block))
    token = f"\ue000{len(maths) - 1}\ue001"
    # A display formula stands alone between blank lines, so it becomes its own paragraph.
    return f"\n\n{token}\n\n" if block else token


def _math_html(body: str, block: bool) -> str:
    if block:
        return f'<div class="math-block">{_latex(body[2:-2].strip(), "block")}</div>'
    parts: list[str] = []
    last = 0
    # A comment may mix text and formulas: "$\beta$에 대한 식 $f(x, \beta)$".
    for seg in _MATH_SEGMENT.finditer(body):
        parts.append(html.escape(body[last : seg.start()]))
        latex = seg["block"] if seg["block"] is not None else seg["inline"]
        parts.append(_latex(latex.strip(), "inline"))
        last = seg.end()
    parts.append(html.escape(body[last:]))
    return "".join(parts)


def _latex(latex: str, display: str) -> str:
    # latex2mathml copies \text{...} into <mtext> unescaped: no "<" or ">" may reach it as such.
    latex = latex.replace("<", r"\lt ").replace(">", r"\gt ")
    try:
        return str(latex_to_mathml(latex, display=display))
    except Exception:  # latex2mathml raises many types; the source is still worth showing
        return f'<span class="math-error"><code>{html.escape(latex)}</code></span>'


def restore_math(rendered: str, maths: list[str]) -> str:
    """The rendered HTML with each math token back as its MathML."""
    rendered = _BLOCK_TOKEN.sub(lambda m: maths[int(m[1])], rendered)
    return _TOKEN.sub(lambda m: maths[int(m[1])], rendered)
