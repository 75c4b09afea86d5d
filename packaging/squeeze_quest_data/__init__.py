"""The files Squeeze Quest ships besides its code, in an installed copy (a wheel, pipx).

In the repository they stay in the top-level folders ``assets/`` (fonts) and ``levels/``
(the shipped programs, their schema and README); ``pyproject.toml`` maps them here as
``squeeze_quest_data/assets`` and ``squeeze_quest_data/levels``. The game finds them
through :mod:`game.resources`; nothing should import this package for its code.
"""
