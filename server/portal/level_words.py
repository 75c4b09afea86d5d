"""The level models' own words in the therapist's language, for the program editor.

Each setting's description is written once, in English, on its pydantic field in
``game/levels.py`` (``Field(..., description="...")``), and the editor shows it beside the
input. So that it can be translated without marking every description in the level models,
Babel extracts them with :func:`extract` (packaging/babel.cfg runs it on ``levels.py``,
besides that file's ordinary ``_()`` calls), and the editor looks them up with
:func:`translated`.

The catalogue's key is the text on one line with a free-standing "%" written "percent"
("as percent of", "10 percent for"): gettext tools take ``% o`` or ``% f`` for a printf
placeholder and would ask every translation to carry one.
"""

from __future__ import annotations

import ast
import io
import re
from collections.abc import Iterator
from typing import Any

from babel.messages.extract import extract_python

from game.i18n import _

HELP_CLASSES = ("AdaptSettings",)  # models whose docstring the editor shows as a group's help


def key(text: str) -> str:
    """The catalogue's message for a description: one line, "percent" for a "%" before a space."""
    one_line = " ".join(text.split())
    return re.sub(r"%(?= )", "percent", re.sub(r"(?<=\d)%(?= )", " percent", one_line))


def translated(text: str) -> str:
    """A description in the language of this request; the English as written when the
    catalogue has no translation (or the language is English)."""
    if not text:
        return text
    k = key(text)
    found = _(k)
    return text if found == k else found


def extract(fileobj: Any, keywords: Any, comment_tags: Any, options: dict) -> Iterator[tuple]:
    """Babel extraction method: the file's ``_()`` messages as the Python extractor finds them,
    then every ``Field(description=...)`` and the docstring of the models in HELP_CLASSES."""
    source = fileobj.read()
    yield from extract_python(io.BytesIO(source), keywords, comment_tags, options)
    tree = ast.parse(source.decode(options.get("encoding", "utf-8")))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Field":
            for kw in node.keywords:
                if kw.arg == "description" and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
                    yield kw.value.lineno, None, key(kw.value.value), ["a setting's description (program editor)"]
        elif isinstance(node, ast.ClassDef) and node.name in HELP_CLASSES:
            doc = ast.get_docstring(node)
            if doc:
                yield node.lineno, None, key(doc), ["a group of settings, explained (program editor)"]
