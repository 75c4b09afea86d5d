"""The durable store of what patients did: the SQLite schema and its migrations, the
record writer and its spill journal, provenance, exports and the therapist's report.

No pygame here, and nothing of ``game/`` but :mod:`game.therapy`'s data types (and
:mod:`game.resources` for where the report's font ships), so the clinic server and the
command-line tools use the records without the game. Modules are imported by name
(``from game.records.storage import Store``); this package imports nothing itself.
"""
