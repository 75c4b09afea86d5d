"""Optional parts of the game that need packages most patients never use.

Reports (matplotlib) and the FHIR export (fhir.resources) are the ``[reports]`` extra,
so a plain install stays small and starts fast. They are imported only when used; when
one is missing, the therapist is told in plain words how to add it.
"""

from __future__ import annotations

import importlib.util

REPORTS_INSTALL = "pip install 'squeeze-quest[reports]'"


def missing_extra(module: str, what: str = "Reports") -> str | None:
    """None if ``module`` can be imported, else the message to show (``what`` names the feature)."""
    try:
        found = importlib.util.find_spec(module) is not None
    except ImportError:  # a dotted name whose parent package is missing
        found = False
    if found:
        return None
    return f"{what} need an extra package: {REPORTS_INSTALL}"
