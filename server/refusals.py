"""The clinic server's refusals to devices, each with a stable code (docs/clinic-server/API.md,
"Refusals").

A refusal's body is ``{"error": CODE, "detail": "plain English words"}``: a PC turns the code
into a sentence in its own user's language (game/records/sync.py) and shows the English
``detail`` only for a code it does not know; logs and other programs read ``detail``. PCs from
before the codes read ``detail`` and the status alone, which stay as they were.

A code, once sent, keeps its meaning: a new kind of refusal gets a new code.
"""

from __future__ import annotations

from fastapi import HTTPException

ENROLMENT_CODE_UNKNOWN = "enrolment_code_unknown"
ENROLMENT_CODE_USED = "enrolment_code_used"
ENROLMENT_CODE_EXPIRED = "enrolment_code_expired"
TOO_MANY_TRIES = "too_many_tries"  # with a Retry-After header (seconds)
DEVICE_NOT_ENROLLED = "device_not_enrolled"  # no token sent
DEVICE_REVOKED = "device_revoked"
DEVICE_UNKNOWN = "device_unknown"  # a token nobody holds
WRONG_CLINIC = "wrong_clinic"  # records of another clinic's patient
REQUEST_INVALID = "request_invalid"  # not JSON, not the contract's shape, bad gzip
RECORD_INVALID = "record_invalid"  # one record does not fit the contract (the client sets it aside)
REQUEST_TOO_LARGE = "request_too_large"
CURSOR_UNKNOWN = "cursor_unknown"  # the client syncs again without its cursor
SERVER_UNAVAILABLE = "server_unavailable"  # the database cannot be reached: try again later

CODES = frozenset({ENROLMENT_CODE_UNKNOWN, ENROLMENT_CODE_USED, ENROLMENT_CODE_EXPIRED, TOO_MANY_TRIES,
                   DEVICE_NOT_ENROLLED, DEVICE_REVOKED, DEVICE_UNKNOWN, WRONG_CLINIC, REQUEST_INVALID,
                   RECORD_INVALID, REQUEST_TOO_LARGE, CURSOR_UNKNOWN, SERVER_UNAVAILABLE})


class Refused(HTTPException):
    """An HTTPException whose answer also names its code (the app's handler writes both)."""

    def __init__(self, status: int, code: str, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(status, detail, headers=headers)
        self.code = code


def body(code: str, detail: str) -> dict[str, str]:
    return {"error": code, "detail": detail}
