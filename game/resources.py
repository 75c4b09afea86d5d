"""Where the files that ship with the game are: the fonts and the shipped level files
(with their schema). Every path to them is built here.

Installed (a wheel, pipx), they are data inside the package ``squeeze_quest_data``
(``squeeze_quest_data/assets``, ``squeeze_quest_data/levels``), found with
:mod:`importlib.resources`. In a source checkout (``python main.py``, an editable
install, the tests) they are the repository's own ``assets/`` and ``levels/`` beside
``game/``: the files that came with the code that is running, never an older installed
copy's. Shipped files are read-only; a therapist's own level files live in the user's
data folder (:func:`user_levels_dir`). The serial ball's device profiles ship inside
``hardware`` itself (``hardware/profiles``, see :mod:`hardware.line_formats`).
"""

from __future__ import annotations

import importlib.resources
from functools import cache
from pathlib import Path

DATA_PACKAGE = "squeeze_quest_data"
FONT_FILES = {False: "AtkinsonHyperlegible-Regular.ttf", True: "AtkinsonHyperlegible-Bold.ttf"}
# Atkinson Hyperlegible has no Chinese characters: those languages draw with a subset of Noto Sans
# CJK SC (packaging/make_cjk_font.py makes it from the characters the catalogues and the game use).
CJK_FONT_FILES = {False: "NotoSansCJKsc-Regular-subset.otf", True: "NotoSansCJKsc-Bold-subset.otf"}
CJK_LANGUAGES = frozenset({"zh_Hans"})
REINSTALL = "Install Squeeze Quest again (pip install --force-reinstall squeeze-quest)."


class MissingGameFile(FileNotFoundError):
    """A file that ships with the game is not where it should be; the message says what to do."""


@cache
def checkout_root() -> Path | None:
    """The repository folder when the running code is a source checkout, else None."""
    root = Path(__file__).resolve().parent.parent
    if (root / "pyproject.toml").is_file() and (root / "assets" / "fonts").is_dir() and (root / "levels").is_dir():
        return root
    return None


@cache
def _data(name: str) -> Path:
    root = checkout_root()
    if root is not None:
        return root / name
    try:
        found = importlib.resources.files(DATA_PACKAGE) / name
    except ModuleNotFoundError:
        # A broken install: the path it would have, so the error names it.
        return Path(__file__).resolve().parent.parent / DATA_PACKAGE / name
    # Installed as files (pip and pipx always do): pygame and matplotlib need real paths.
    return Path(str(found))


def assets_dir() -> Path:
    return _data("assets")


def fonts_dir() -> Path:
    return assets_dir() / "fonts"


def font_file(bold: bool = False, language: str | None = None) -> Path:
    """The font for text in ``language`` (a game/i18n.py code; None: the Latin font)."""
    return fonts_dir() / (CJK_FONT_FILES if language in CJK_LANGUAGES else FONT_FILES)[bold]


def shipped_levels_dir() -> Path:
    """The programs that come with the game (read-only)."""
    return _data("levels")


def user_levels_dir(data_dir: Path | str | None = None) -> Path:
    """Where a therapist's own level files go: ``<data folder>/levels`` (the user's data
    folder unless ``--data-dir`` names another). It need not exist."""
    if data_dir is None:
        from game.records.storage import default_data_dir

        data_dir = default_data_dir()
    return Path(data_dir) / "levels"


def level_dirs(data_dir: Path | None = None) -> tuple[Path, ...]:
    """Where level files are found: the shipped ones (read-only), then the therapist's
    own in ``<data dir>/levels`` if that folder exists (``data_dir`` None: the user's
    data folder, as for the records). Here, not in game.levels, so the start of the game
    finds them without importing the level models (pydantic)."""
    shipped = shipped_levels_dir()
    dirs = [shipped]
    own = user_levels_dir(data_dir)
    if own.is_dir() and own.resolve() != shipped.resolve():
        dirs.append(own)
    return tuple(dirs)


def check_font(path: Path) -> Path:
    if not path.is_file():
        raise MissingGameFile(f"The game's font is missing: {path}. {REINSTALL}")
    return path
