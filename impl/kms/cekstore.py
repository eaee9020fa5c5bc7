"""The KMS's store of clause 7.13 CEKs and their bindings.

A CEK is identified by (KMS URI, Key ID). The Key ID is 32 bits: the 4 most
significant bits are the purpose tag CEK_PURPOSE_TAG (15, a value TS 33.180
leaves unassigned, so a 7.13 CEK can never be mistaken for a GMK, PCK, CSK,
...), the other 28 bits are random and never reused by this KMS. Each Key ID
is bound to its owner's MCPTT ID, the MCPTT server it is shared with and a
validity period.
"""
from __future__ import annotations

import datetime as _dt
import secrets
import threading
from dataclasses import dataclass

from mcsec.impl.faults import Faults

CEK_PURPOSE_TAG = 0xF
CEK_BYTES = 16
_ID_BITS = 28
_MAX_DRAWS = 64


class KeyIdSpaceExhausted(RuntimeError):
    pass


@dataclass(frozen=True)
class CekRecord:
    key_id: int
    key: bytes
    owner_uri: str
    server_uri: str
    valid_from: _dt.datetime
    valid_to: _dt.datetime

    def __repr__(self) -> str:
        return f"CekRecord(key_id={self.key_id:08X}, owner={self.owner_uri!r}, server={self.server_uri!r})"


def purpose_of(key_id: int) -> int:
    return (key_id >> _ID_BITS) & 0xF


class CekStore:
    def __init__(self, lifetime_s: int, faults: Faults):
        self._lifetime = _dt.timedelta(seconds=lifetime_s)
        self._faults = faults
        self._records: dict[int, CekRecord] = {}
        self._issued: set[int] = set()  # every Key ID ever issued, expired ones included
        self._lock = threading.Lock()

    def _draw_key_id(self) -> int:
        tag = 0 if "kms_wrong_purpose_tag" in self._faults else CEK_PURPOSE_TAG
        bits = 2 if "kms_reuse_key_ids" in self._faults else _ID_BITS
        for _ in range(_MAX_DRAWS):
            candidate = (tag << _ID_BITS) | secrets.randbits(bits)
            if candidate not in self._issued or "kms_reuse_key_ids" in self._faults:
                return candidate
        raise KeyIdSpaceExhausted("no free Key ID found")

    def issue(self, owner_uri: str, server_uri: str, now: _dt.datetime) -> CekRecord:
        with self._lock:
            key_id = self._draw_key_id()
            record = CekRecord(key_id, secrets.token_bytes(CEK_BYTES), owner_uri, server_uri,
                               now, now + self._lifetime)
            self._issued.add(key_id)
            self._records[key_id] = record
            return record

    def for_server(self, key_id: int, server_uri: str, now: _dt.datetime) -> CekRecord | None:
        """The CEK named by `key_id` if it is live and bound to `server_uri`; otherwise None."""
        with self._lock:
            record = self._records.get(key_id)
            if record is None:
                if "kms_answer_unknown_key_id" in self._faults:
                    return CekRecord(key_id, secrets.token_bytes(CEK_BYTES), "unknown", server_uri,
                                     now, now + self._lifetime)
                return None
            if not (record.valid_from <= now < record.valid_to):
                return None
            if record.server_uri != server_uri and "kms_ignore_server_binding" not in self._faults:
                return None
            return record
