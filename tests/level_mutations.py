"""Seeded mutations of the shipped level files, for the loader's fuzz test and benchmark.

Each mutation is one kind of damage a level file meets in a clinic: a flipped byte,
a file cut short by a full disk, an explicit YAML tag on the wrong kind of value,
a line pasted twice or lost, a huge number, another text encoding, characters from
anywhere in Unicode. ``mutations(n, seed)`` is the same list for the same seed.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from game.levels import SHIPPED_DIR, level_files

# Explicit tags, each on a value it cannot build (the constructor errors of issue 19),
# and the tags a level file must refuse outright.
BAD_TAGS = (
    "!!float abc", "!!bool maybe", "!!map abc", "!!str [1, 2]", "!!int 1.5", "!!timestamp x", "!!binary ###",
    "!!int 0x", "!!int ''", "!!float ''", "!!bool ''", "!!null [1]", "!!seq abc", "!!map [a, b]", "!!str {a: 1}",
    "!!int [1]", "!!float {a: 1}", "!!merge 5", "!!set {a}", "!!omap [a]", "!!pairs x", "!!value x",
    "!!python/none ''", "!custom x", "!<tag:example.com,2000:x> 1", "!!int 99999999999999999999999999999",
)
BAD_MERGES = ("<<: 5", "<<: [1, 2]", "<<: abc", "<<: []", "<<: {}", "<<: [{a: 1}, 5]", "<<: *nowhere", "<<:",
              "<<: !!str x", "<<: <<")
NUMBERS = ("9" * 5000, "-" + "1" * 4301, "1e999", "-1e999", "." + "5" * 3000, "1" + "0" * 400 + ".5", ".nan",
           "-.inf", "0x" + "f" * 5000, "0o777777777777", "0b" + "1" * 9000, "1_000", "1:30", "+12", "0")
YAML_BITS = ("? ", ": ", "- ", "&a ", "*a ", "&a", "*a", "---\n", "...\n", "%YAML 1.1\n", "! ", "!! ", "|", ">",
             "{", "}", "[", "]", '"', "'", "#", "\t", "  ", "\n", ",", "%", "@", "`", "\\", "<<: *a\n")
CODECS = ("utf-16", "utf-32", "utf-8-sig", "utf-16-le", "utf-16-be", "utf-32-be", "latin-1", "cp1252")
# Characters a text editor or a copy and paste can put in a file: controls, line and
# paragraph separators, NEL, BOM, zero-width, right-to-left, emoji, non-characters.
ODD_CHARS = ("\x00", "\x01", "\x07", "\x08", "\x0b", "\x0c", "\x1b", "\x7f", "\x85", "\x9f", "\xa0", "\u2028",
             "\u2029", "\ufeff", "\u200b", "\u202e", "\ufffe", "\uffff", "\U0001f600", "\ud800", "é", "ß", "中")


@dataclass(frozen=True)
class Mutation:
    name: str  # e.g. "gentle_start.yaml: tag !!bool maybe @ line 7 + truncate"
    data: bytes


def shipped_texts() -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in level_files([SHIPPED_DIR])}


def _value_lines(lines: list[str]) -> list[int]:
    return [i for i, ln in enumerate(lines) if ":" in ln and not ln.lstrip().startswith("#")]


def _replace_value(rng: random.Random, text: str, new: str) -> tuple[str, str]:
    lines = text.split("\n")
    cands = _value_lines(lines)
    i = rng.choice(cands)
    key = lines[i].split(":", 1)[0]
    lines[i] = f"{key}: {new}"
    return "\n".join(lines), f"line {i + 1}"


def _tag(rng: random.Random, text: str) -> tuple[str, str]:
    tag = rng.choice(BAD_TAGS)
    text, where = _replace_value(rng, text, tag)
    return text, f"tag {tag} @ {where}"


def _merge(rng: random.Random, text: str) -> tuple[str, str]:
    lines = text.split("\n")
    cands = _value_lines(lines)
    i = rng.choice(cands)
    indent = lines[i][: len(lines[i]) - len(lines[i].lstrip())].replace("-", " ")
    merge = rng.choice(BAD_MERGES)
    lines.insert(i, indent + merge)
    return "\n".join(lines), f"merge {merge!r} @ line {i + 1}"


def _number(rng: random.Random, text: str) -> tuple[str, str]:
    num = rng.choice(NUMBERS)
    text, where = _replace_value(rng, text, num)
    return text, f"number {num[:12]}.. @ {where}"


def _line_edit(rng: random.Random, text: str) -> tuple[str, str]:
    lines = text.split("\n")
    i = rng.randrange(len(lines))
    op = rng.choice(("duplicate", "delete", "swap", "indent", "dedent"))
    if op == "duplicate":
        lines.insert(i, lines[i])
    elif op == "delete":
        del lines[i]
    elif op == "swap":
        j = rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
    elif op == "indent":
        lines[i] = " " * rng.randint(1, 5) + lines[i]
    else:
        lines[i] = lines[i].lstrip()
    return "\n".join(lines), f"{op} line {i + 1}"


def _yaml_bit(rng: random.Random, text: str) -> tuple[str, str]:
    at = rng.randrange(len(text) + 1)
    bit = rng.choice(YAML_BITS)
    return text[:at] + bit + text[at:], f"insert {bit!r} @ {at}"


def _unicode(rng: random.Random, text: str) -> tuple[str, str]:
    at = rng.randrange(len(text) + 1)
    if rng.random() < 0.5:
        s = rng.choice(ODD_CHARS)
    else:  # anything in Unicode, surrogates included (written with surrogatepass)
        s = "".join(chr(rng.randrange(0x110000)) for _ in range(rng.randint(1, 8)))
    return text[:at] + s + text[at:], f"unicode {s!r} @ {at}"


TEXT_MUTATORS: tuple[Callable[[random.Random, str], tuple[str, str]], ...] = (
    _tag, _tag, _merge, _number, _line_edit, _yaml_bit, _unicode)


def _encode(rng: random.Random, text: str) -> tuple[bytes, str]:
    if rng.random() < 0.8:
        return text.encode("utf-8", "surrogatepass"), ""
    codec = rng.choice(CODECS)
    return text.encode(codec, "replace" if codec in ("latin-1", "cp1252") else "surrogatepass"), f" as {codec}"


def _byte_damage(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    op = rng.choice(("flip", "flip", "truncate", "zero", "splice"))
    if not data:
        return data, ""
    b = bytearray(data)
    if op == "flip":
        for _ in range(rng.randint(1, 6)):
            i = rng.randrange(len(b))
            b[i] = rng.randrange(256)
        return bytes(b), " + byte flips"
    if op == "truncate":
        return bytes(b[: rng.randrange(len(b))]), " + truncated"
    if op == "zero":
        i = rng.randrange(len(b))
        return bytes(b[:i]) + b"\x00" * rng.randint(1, 64) + bytes(b[i:]), " + zeros"
    i, j = sorted(rng.randrange(len(b)) for _ in range(2))
    return bytes(b[:i]) + bytes(b[j:]), " + bytes cut out"


def mutations(n: int, seed: int = 19) -> Iterator[Mutation]:
    """``n`` damaged level files, from the shipped ones; the same for the same seed."""
    rng = random.Random(seed)
    texts = shipped_texts()
    names = sorted(texts)
    for _ in range(n):
        name = rng.choice(names)
        text = texts[name]
        steps = []
        bytes_only = rng.random() < 0.2  # a flipped or cut file, nothing else
        for _k in range(0 if bytes_only else rng.choice((1, 1, 1, 2, 3))):
            text, what = rng.choice(TEXT_MUTATORS)(rng, text)
            steps.append(what)
        data, enc = _encode(rng, text)
        extra = ""
        if bytes_only or rng.random() < 0.15:
            data, extra = _byte_damage(rng, data)
        yield Mutation(f"{name}: {' + '.join(steps) or 'bytes'}{enc}{extra}", data)
