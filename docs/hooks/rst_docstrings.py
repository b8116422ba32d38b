"""A griffe extension for the API reference: the docstrings' reStructuredText roles as Markdown.

The package's docstrings are written for reading in a terminal and use Sphinx's roles
(``:func:`x```, ``:math:`x```, ``.. math::``). mkdocstrings renders docstrings as Markdown, so
here, when griffe loads a docstring (the source is not changed):

- ``:math:`X``` becomes ``$X$`` and a ``.. math:: X`` block ``$$X$$`` (pymdownx.arithmatex;
  ``mathml.py`` turns both into MathML when the page is built, no script needed);
- ``:func:/:class:/:mod:/:data:/:attr:/:meth:/:exc:`x``` become the code span ``x``
  (``~a.b.c`` shows ``c``, as in Sphinx);
- a paragraph ending in ``::`` (a reST literal block follows) ends in ``:``;
- a doctest (``>>>`` lines) becomes a fenced Python block (not a Markdown quote);
- an attribute without a docstring takes its comment: the ``#:`` lines above it (Sphinx's
  convention, used for module constants) or the ``# ...`` at the end of its line (the dataclass
  fields of ``Settings`` and the configs), so the reference lists every field with its meaning;
  a dataclass's fields go into one table in the class's docstring instead of a section each.
"""
from __future__ import annotations

import io
import re
import tokenize

import griffe

ROLE = re.compile(r":(?:py:)?(?:func|class|mod|data|attr|meth|exc|obj|const):`~?([^`]+)`")
MATH_ROLE = re.compile(r":math:`([^`]+)`")
MATH_BLOCK = re.compile(r"^(?P<indent>[ \t]*)\.\. math::[ \t]*(?P<first>.*)\n(?P<body>(?:(?P=indent)[ \t]+.*\n|[ \t]*\n)*)",
                        re.MULTILINE)
LITERAL = re.compile(r"(\S)::[ \t]*$", re.MULTILINE)
#: A doctest: ``>>>`` lines with their ``...`` continuations and output, up to a blank line.
DOCTEST = re.compile(r"^(?P<indent>[ \t]*)>>> .*\n(?:(?P=indent)\S.*\n)*", re.MULTILINE)


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


def _doctest(m: re.Match) -> str:
    indent = m.group("indent")
    return f"{indent}```python\n{m.group(0)}{indent}```\n"


def rst_to_markdown(text: str) -> str:
    """One docstring's reST roles and math as Markdown (see the module docstring)."""
    text = DOCTEST.sub(_doctest, text if text.endswith("\n") else text + "\n")
    text = MATH_BLOCK.sub(_math_block, text)
    text = MATH_ROLE.sub(lambda m: f"${m.group(1)}$", text)
    text = ROLE.sub(_role, text)
    return LITERAL.sub(r"\1:", text)


def attribute_comment(lines: list[str], lineno: int, endlineno: int | None) -> str | None:
    """The comment documenting the attribute on lines ``lineno..endlineno`` (1-based) of a file."""
    above = []
    i = lineno - 2
    while i >= 0 and lines[i].strip().startswith("#:"):
        above.insert(0, lines[i].strip()[2:].strip())
        i -= 1
    if above:
        return " ".join(above)
    last = lines[(endlineno or lineno) - 1]
    try:  # the line's comment token (a '#' inside a string is not one)
        tokens = list(tokenize.generate_tokens(io.StringIO(last.strip() + "\n").readline))
    except (tokenize.TokenError, SyntaxError):
        return None
    comment = next((t.string for t in tokens if t.type == tokenize.COMMENT), "")
    text = comment.lstrip("#").strip()
    return text if text and not text.startswith(("noqa", "type:")) else None


class RstDocstrings(griffe.Extension):
    """Rewrites every loaded docstring with :func:`rst_to_markdown`; comments as attribute docs."""

    def on_instance(self, *, obj: griffe.Object, **kwargs) -> None:  # noqa: D102
        if obj.docstring is None and obj.is_attribute and obj.lineno and obj.filepath:
            try:
                lines = obj.lines_collection[obj.filepath]
            except (KeyError, TypeError):
                lines = None
            comment = attribute_comment(lines, obj.lineno, obj.endlineno) if lines else None
            if comment:
                obj.docstring = griffe.Docstring(comment, parent=obj)
        if obj.docstring is not None:
            obj.docstring.value = rst_to_markdown(obj.docstring.value)

    def on_class_members(self, *, cls: griffe.Class, **kwargs) -> None:  # noqa: D102
        if "dataclass" not in cls.labels:
            return
        rows = []
        for name, member in cls.members.items():
            if member.is_attribute and not name.startswith("_") and "instance-attribute" in member.labels:
                meaning = member.docstring.value.replace("\n", " ").replace("|", "\\|") if member.docstring else ""
                default = "" if member.value is None else str(member.value)
                rows.append(f"| `{name}` | `{default}` | {meaning} |" if default else f"| `{name}` | | {meaning} |")
                member.docstring = None  # the table says it: no section per field
        if rows:
            table = "\n".join(["| field | default | meaning |", "|---|---|---|", *rows])
            doc = cls.docstring.value if cls.docstring else ""
            cls.docstring = griffe.Docstring(f"{doc}\n\n{table}\n", parent=cls)
