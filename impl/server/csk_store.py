"""CSKs the MCPTT server accepted from I_MESSAGEs, each bound to its uploader (clause 7.14).

A CSK is kept under its CSK-ID together with the public SIP identity (IMPU) the SIP core asserted
for the upload, the uploader's MCPTT ID, the KMS and the key period of the I_MESSAGE. A body
protected under a CSK-ID is opened only for that same asserted user; anyone else gets nothing (the
UAS answers 493, as for any key it will not use). Keys are never logged or shown.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

MAX_CSKS = 4096


@dataclass(frozen=True)
class BoundCsk:
    key_id: int
    key: bytes = field(repr=False)
    impu: str
    mcptt_id: str
    kms_uri: str
    key_period_no: int
    accepted_at: float = field(default_factory=time.time)

    def bound_to(self, impu: str, mcptt_id: str) -> bool:
        return self.impu == impu and self.mcptt_id == mcptt_id


class CskBoundElsewhere(Exception):
    """The CSK-ID is already bound to another identity."""


class CskStore:
    def __init__(self) -> None:
        self._csks: OrderedDict[int, BoundCsk] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, csk: BoundCsk) -> None:
        """Bind a CSK; a CSK-ID another identity holds is refused (:class:`CskBoundElsewhere`). The
        same identity uploading a CSK-ID again replaces its key."""
        with self._lock:
            held = self._csks.get(csk.key_id)
            if held is not None and not held.bound_to(csk.impu, csk.mcptt_id):
                raise CskBoundElsewhere(f"CSK-ID {csk.key_id:08X} is bound to another identity")
            self._csks[csk.key_id] = csk
            self._csks.move_to_end(csk.key_id)
            while len(self._csks) > MAX_CSKS:
                self._csks.popitem(last=False)

    def get(self, key_id: int) -> BoundCsk | None:
        with self._lock:
            return self._csks.get(key_id)

    def held(self) -> list[int]:
        with self._lock:
            return list(self._csks)
