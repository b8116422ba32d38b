"""A griffe extension for the API reference: the docstrings' reStructuredText roles as Markdown.

The package's docstrings are written for reading in a terminal and use Sphinx's roles
(``:func:`x```, ``:math:`x```, ``.. math::``). mkdocstrings renders docstrings as Markdown, so
here, when griffe loads a docstring (the source is not changed):

- ``:math:`X``` becomes ``$X$`` and a ``.. math:: X`` block ``$$X$$`` (pymdownx.arithmatex;
  ``mathml.py`` turns both into MathML when the page is built, no script needed);
- ``:func:/:class:/:mod:/:data:/:attr:/:meth:/:exc:`x``` become the code span ``x``
  (``~a.b.c`` shows ``c``, as in Sphinx);
- a paragraph ending in ``::`` (a reST literal block follows) ends in ``:``.
"""
from __future__ import annotations

import re

import griffe

ROLE = re.compile(r":(?:py:)?(?:func|class|mod|data|attr|meth|exc|obj|const):`~?([^`]+)`")
MATH_ROLE = re.compile(r":math:`([^`]+)`")
MATH_BLOCK = re.compile(r"^(?P<indent>[ \t]*)\.\. math::[ \t]*(?P<first>.*)\n(?P<body>(?:(?P=indent)[ \t]+.*\n|[ \t]*\n)*)",
                        re.MULTILINE)
LITERAL = re.compile(r"(\S)::[ \t]*$", re.MULTILINE)


def _role(m: re.Match) -> str:
    target = m.group(1)
    shown = target.rsplit(".", 1)[-1] if m.group(0).split("`")[1].startswith("~") else target
    return f"`{shown}`"


def _math_block(m: re.Match) -> str:
    lines = [m.group("first")] + m.group("body").splitlines()
    tex = " ".join(line.strip() for line in lines if line.strip())
    # inside a list item a block must be indented by 4 spaces (Python-Markdown), reST needs only 3
    indent = "    " if m.group("indent") else ""
    return f"{indent}$${tex}$$\n\n"


def rst_to_markdown(text: str) -> str:
    """One docstring's reST roles and math as Markdown (see the module docstring)."""
    text = MATH_BLOCK.sub(_math_block, text)
    text = MATH_ROLE.sub(lambda m: f"${m.group(1)}$", text)
    text = ROLE.sub(_role, text)
    return LITERAL.sub(r"\1:", text)


class RstDocstrings(griffe.Extension):
    """Rewrites every loaded docstring with :func:`rst_to_markdown`."""

    def on_instance(self, *, obj: griffe.Object, **kwargs) -> None:  # noqa: D102
        if obj.docstring is not None:
            obj.docstring.value = rst_to_markdown(obj.docstring.value)
