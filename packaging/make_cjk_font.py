"""Rebuild the Chinese font subset the game ships (assets/fonts/NotoSansCJKsc-*-subset.otf).

    apt-get install fonts-noto-cjk     # Debian/Ubuntu: Noto Sans CJK (SIL Open Font License 1.1)
    python packaging/make_cjk_font.py  # after a translation changes; then commit the two .otf files

Atkinson Hyperlegible has no Chinese characters. The full Noto Sans CJK is some 20 MB a
weight, so the game ships only the characters it can draw in Chinese: every character of
the zh_Hans catalogue, every non-ASCII character written in the game's code and shipped
level files, ASCII, Latin-1 and Latin Extended-A (names, units), common punctuation, and
the 3,755 common characters of GB 2312 level 1 so that most patients' and therapists' names
written in Chinese show too (about 1.8 MB a weight). tests/test_i18n.py checks that the
subset covers every character of the catalogue, so a new translation cannot miss glyphs.
"""

from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FONTS = ROOT / "assets" / "fonts"
CATALOGUE = ROOT / "game" / "locale" / "zh_Hans" / "LC_MESSAGES" / "squeeze_quest.po"
SOURCES = {False: "NotoSansCJK-Regular.ttc", True: "NotoSansCJK-Bold.ttc"}
SOURCE_DIRS = ("/usr/share/fonts/opentype/noto", "/usr/share/fonts/noto-cjk", "/usr/share/fonts/google-noto-cjk")
FACE = "Noto Sans CJK SC"
OUT = {False: "NotoSansCJKsc-Regular-subset.otf", True: "NotoSansCJKsc-Bold-subset.otf"}
PUNCTUATION = "…×·–—‘’“”•°±→←、。，！？：；（）《》「」『』【】～％＋－＝／"


def catalogue_chars(po: Path = CATALOGUE) -> set[str]:
    """Every character of every translation in a catalogue (placeholders' letters included)."""
    from babel.messages.pofile import read_po

    with open(po, "rb") as fp:
        cat = read_po(fp)
    chars: set[str] = set()
    for m in cat:
        if not m.id:
            continue
        for s in (m.string if isinstance(m.string, (tuple, list)) else (m.string,)):
            chars.update(s or "")
    return {c for c in chars if not c.isspace()}


def code_chars() -> set[str]:
    """Non-ASCII characters in the game's string literals and the shipped level files."""
    import yaml

    found: set[str] = set()
    for path in sorted((ROOT / "game").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.update(ch for ch in node.value if ord(ch) > 127 and not ch.isspace())
    for path in sorted((ROOT / "levels").glob("*.yaml")):
        found.update(ch for ch in str(yaml.safe_load(path.read_text(encoding="utf-8"))) if ord(ch) > 127)
    return found


def common_hanzi() -> set[str]:
    """GB 2312 level 1: the 3,755 most used characters (names included)."""
    out = set()
    for hi in range(0xB0, 0xD8):
        for lo in range(0xA1, 0xFF):
            try:
                out.add(bytes([hi, lo]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return out


def wanted_chars() -> set[str]:
    base = {chr(c) for c in range(0x20, 0x7F)} | {chr(c) for c in range(0xA0, 0x180)}
    return base | set(PUNCTUATION) | catalogue_chars() | code_chars() | common_hanzi()


def find_source(bold: bool, where: list[str]) -> tuple[Path, int]:
    from fontTools.ttLib import TTCollection

    for d in where:
        p = Path(d) / SOURCES[bold]
        if p.is_file():
            for i, face in enumerate(TTCollection(str(p)).fonts):
                if face["name"].getDebugName(1) == FACE:
                    return p, i
    raise SystemExit(f"{SOURCES[bold]} with {FACE} not found in {', '.join(where)}: apt-get install fonts-noto-cjk")


def build(bold: bool, chars: set[str], where: list[str], out_dir: Path = FONTS) -> Path:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    src, index = find_source(bold, where)
    font = TTFont(str(src), fontNumber=index)
    options = subset.Options()
    options.name_IDs = ["*"]  # keep the copyright and licence names (OFL)
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.layout_features = ["*"]
    sub = subset.Subsetter(options)
    sub.populate(unicodes=sorted(ord(c) for c in chars))
    sub.subset(font)
    out = out_dir / OUT[bold]
    font.save(str(out))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fonts-dir", action="append", help="where NotoSansCJK-*.ttc are (default: Debian's folders)")
    args = ap.parse_args(argv)
    chars = wanted_chars()
    for bold in (False, True):
        out = build(bold, chars, args.fonts_dir or list(SOURCE_DIRS))
        print(f"{out.relative_to(ROOT)}: {len(chars)} characters, {out.stat().st_size / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
