"""MkDocs hook: the pages' TeX math (pymdownx.arithmatex, generic mode) as MathML.

The site is built and read offline: no MathJax or KaTeX script. Browsers render MathML
themselves; ``latex2mathml`` converts each ``\\(...\\)`` / ``\\[...\\]`` at build time. A formula
it cannot convert stops a strict build with the formula named.
"""
from __future__ import annotations

import html
import logging
import re

from latex2mathml.converter import convert

log = logging.getLogger("mkdocs.hooks.mathml")
INLINE = re.compile(r'<span class="arithmatex">\\\((.+?)\\\)</span>', re.DOTALL)
BLOCK = re.compile(r'<div class="arithmatex">\\\[(.+?)\\\]</div>', re.DOTALL)


def _mathml(tex: str, display: str, page) -> str:
    tex = html.unescape(tex)
    try:
        return convert(tex, display=display)
    except Exception as exc:  # latex2mathml raises many kinds; name the formula and go on
        log.warning("%s: cannot convert formula %r to MathML: %s", page.file.src_path, tex, exc)
        return f"<code>{html.escape(tex)}</code>"


def on_page_content(html_text: str, page, **kwargs) -> str:
    html_text = BLOCK.sub(lambda m: f'<div class="math">{_mathml(m.group(1), "block", page)}</div>', html_text)
    return INLINE.sub(lambda m: _mathml(m.group(1), "inline", page), html_text)
