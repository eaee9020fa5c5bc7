"""The KMS's store of clause 7.13 CEKs and their bindings.

A CEK is identified by (KMS URI, Key ID). The Key ID is 32 bits: the 4 most
significant bits are the purpose tag CEK_PURPOSE_TAG (15, a value TS 33.180
leaves unassigned, so a 7.13 CEK can never be mistaken for a GMK, PCK, CSK,
...), the other 28 bits are never reused by this KMS and cannot be predicted:
they are the count of CEKs issued so far under a keyed permutation of 28-bit
numbers (a Feistel network whose round function is HMAC-SHA256 under a key
made at start), so no record of past Key IDs is needed. Each Key ID is bound
to its owner's MCPTT ID, the MCPTT server it is shared with and a validity
period. A CEK whose validity has ended is dropped (its Key ID is never issued
again), so the store holds only live CEKs.

Only for the test control surface (impl/kms/testcontrol.py): :meth:`CekStore.pin` sets the Key ID of
the next CEK issued to one user (two KMSes issuing the same Key ID, clause 7.13 editor's note). A
pinned Key ID carries the CEK purpose tag and is one this KMS has not issued; the count skips it
afterwards, so a Key ID is still never issued twice.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import heapq
import hmac
import secrets
import threading
from dataclasses import dataclass

from mcsec.impl.faults import Faults

CEK_PURPOSE_TAG = 0xF
CEK_BYTES = 16
_ID_BITS = 28
_HALF_BITS = _ID_BITS // 2
_HALF_MASK = (1 << _HALF_BITS) - 1
_ROUNDS = 6


MAX_PINNED = 64


class KeyIdSpaceExhausted(RuntimeError):
    pass


class KeyIdNotPinnable(ValueError):
    """A Key ID that cannot be pinned: another purpose tag, already issued or pinned, or too many pins."""


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


class KeyIdPermutation:
    """A keyed permutation of the 28-bit numbers: distinct inputs give distinct outputs, and without
    the key the output of a count cannot be told from a random number."""

    def __init__(self, key: bytes | None = None) -> None:
        self._key = key or secrets.token_bytes(32)

    def _round(self, number: int, half: int) -> int:
        digest = hmac.new(self._key, bytes([number]) + half.to_bytes(2, "big"), hashlib.sha256).digest()
        return int.from_bytes(digest[:2], "big") & _HALF_MASK

    def __call__(self, value: int) -> int:
        left, right = value >> _HALF_BITS, value & _HALF_MASK
        for number in range(_ROUNDS):
            left, right = right, left ^ self._round(number, right)
        return (left << _HALF_BITS) | right

    def inverse(self, value: int) -> int:
        """The count whose output is ``value`` (the rounds run backwards)."""
        left, right = value >> _HALF_BITS, value & _HALF_MASK
        for number in reversed(range(_ROUNDS)):
            left, right = right ^ self._round(number, left), left
        return (left << _HALF_BITS) | right


class CekStore:
    def __init__(self, lifetime_s: int, faults: Faults):
        self._lifetime = _dt.timedelta(seconds=lifetime_s)
        self._faults = faults
        self._records: dict[int, CekRecord] = {}
        self._expiry: list[tuple[_dt.datetime, int]] = []  # (valid_to, Key ID), a heap
        self._permute = KeyIdPermutation()
        self._count = 0  # CEKs issued so far: the next one's Key ID is the permutation of this count
        self._delivered: set[int] = set()  # Key IDs fetched by their server (used by a fault only)
        self._pins: dict[str, int] = {}  # owner URI -> the Key ID of the next CEK issued to that owner
        self._pinned_low: set[int] = set()  # the 28 low bits of every Key ID ever pinned: the count skips them
        self._lock = threading.Lock()

    def __len__(self) -> int:
        """How many CEK records the store holds (expired ones are dropped when the store is next used)."""
        with self._lock:
            return len(self._records)

    def _low_of(self, count: int) -> int:
        return count if "kms_counter_key_ids" in self._faults else self._permute(count)

    def _issued_by_count(self, low: int) -> bool:
        """Whether the count has already given these 28 low bits."""
        count = low if "kms_counter_key_ids" in self._faults else self._permute.inverse(low)
        return count < self._count

    def _draw_key_id(self, owner_uri: str) -> int:
        pinned = self._pins.pop(owner_uri, None)
        if pinned is not None:
            return pinned
        tag = 0 if "kms_wrong_purpose_tag" in self._faults else CEK_PURPOSE_TAG
        if "kms_reuse_key_ids" in self._faults:
            return (tag << _ID_BITS) | secrets.randbits(2)
        for _ in range(len(self._pinned_low) + 1):  # a pinned Key ID is skipped; there are few
            if self._count >> _ID_BITS:
                raise KeyIdSpaceExhausted("every 28-bit Key ID has been issued")
            low = self._low_of(self._count)
            self._count += 1
            if low not in self._pinned_low:
                return (tag << _ID_BITS) | low
        raise KeyIdSpaceExhausted("every Key ID the count gave was pinned")

    def pin(self, owner_uri: str, key_id: int | None) -> None:
        """The next CEK issued to ``owner_uri`` gets ``key_id`` (once); ``None`` drops a pin still waiting.
        :class:`KeyIdNotPinnable` when the Key ID has another purpose tag, was issued or pinned already,
        or :data:`MAX_PINNED` Key IDs have been pinned."""
        with self._lock:
            if key_id is None:
                self._pins.pop(owner_uri, None)
                return
            if not 0 <= key_id < (1 << 32) or purpose_of(key_id) != CEK_PURPOSE_TAG:
                raise KeyIdNotPinnable(f"Key ID {key_id:08X} does not carry the CEK purpose tag {CEK_PURPOSE_TAG:X}")
            low = key_id & ((1 << _ID_BITS) - 1)
            if low in self._pinned_low or key_id in self._records or self._issued_by_count(low):
                raise KeyIdNotPinnable(f"Key ID {key_id:08X} has been issued or pinned by this KMS already")
            if len(self._pinned_low) >= MAX_PINNED:
                raise KeyIdNotPinnable(f"at most {MAX_PINNED} Key IDs may be pinned")
            self._pins[owner_uri] = key_id
            self._pinned_low.add(low)

    def _prune(self, now: _dt.datetime) -> None:
        """Drop the records whose validity has ended (a CEK valid up to `valid_to` is refused from then)."""
        if "kms_keep_expired_ceks" in self._faults:
            return
        while self._expiry and self._expiry[0][0] <= now:
            valid_to, key_id = heapq.heappop(self._expiry)
            record = self._records.get(key_id)
            if record is not None and record.valid_to == valid_to:
                del self._records[key_id]

    def issue(self, owner_uri: str, server_uri: str, now: _dt.datetime) -> CekRecord:
        with self._lock:
            self._prune(now)
            key_id = self._draw_key_id(owner_uri)
            record = CekRecord(key_id, secrets.token_bytes(CEK_BYTES), owner_uri, server_uri,
                               now, now + self._lifetime)
            self._records[key_id] = record
            heapq.heappush(self._expiry, (record.valid_to, key_id))
            return record

    def for_server(self, key_id: int, server_uri: str, now: _dt.datetime) -> CekRecord | None:
        """The CEK named by `key_id` if it is live and bound to `server_uri`; otherwise None."""
        with self._lock:
            self._prune(now)
            record = self._records.get(key_id)
            if record is None:
                if "kms_answer_unknown_key_id" in self._faults:
                    return CekRecord(key_id, secrets.token_bytes(CEK_BYTES), "unknown", server_uri,
                                     now, now + self._lifetime)
                return None
            if not (record.valid_from <= now < record.valid_to):
                return None
            if "kms_binding_checked_once" in self._faults and key_id in self._delivered:
                return record  # the fault: a Key ID delivered once is taken as checked for good
            if record.server_uri != server_uri and "kms_ignore_server_binding" not in self._faults:
                return None
            if "kms_binding_checked_once" in self._faults:
                self._delivered.add(key_id)
            return record
