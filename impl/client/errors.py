"""Errors of the upper-tester API: each is answered ``{"error": code, "detail": ...}`` with ``status``."""
from __future__ import annotations


class UtError(Exception):
    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(f"{status} {code}: {detail}")
        self.status = status
        self.code = code
        self.detail = detail


def bad_request(detail: str) -> UtError:
    return UtError(400, "bad_request", detail)


def precondition(code: str, detail: str) -> UtError:
    return UtError(409, code, detail)
