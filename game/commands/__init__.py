"""Command-line tools (``main.py COMMAND``). Each module registers its commands
with :func:`game.cli.subcommand`; add new modules to the import list below."""
