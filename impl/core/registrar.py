"""Registration bindings: IMPU -> contact plus the flow (transport and source address) it came over.

One binding per IMPU (the latest registration replaces the earlier one). A binding is live until it
expires; requests from a client are accepted only on the flow of a live binding.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from mcsec.impl.core.config import uri_key
from mcsec.impl.sip import SipUri, parse_uri
from mcsec.impl.sip.errors import MalformedUri
from mcsec.impl.sip.aio.transport import Address

#: (transport, host, port) of the peer a message came from.
FlowKey = tuple[str, str, int]


def flow_key(transport: str, source: Address) -> FlowKey:
    return (transport.lower(), source[0], source[1])


@dataclass(frozen=True)
class Binding:
    impu: str                 # the user's IMPU as configured
    contact: str              # the Contact URI of the REGISTER
    transport: str            # "udp" or "tcp": the transport the REGISTER came over
    source: Address           # where the REGISTER came from (for TCP: the connection's peer)
    expires_at: float         # time.monotonic() deadline

    @property
    def flow(self) -> FlowKey:
        return flow_key(self.transport, self.source)

    def live(self, now: float) -> bool:
        return now < self.expires_at

    def remaining_s(self, now: float) -> int:
        return max(0, int(round(self.expires_at - now)))

    def contact_address(self) -> Address | None:
        """The contact's own host and port (the target when the registered flow is gone)."""
        try:
            uri = parse_uri(self.contact)
        except MalformedUri:
            return None
        if not isinstance(uri, SipUri):
            return None
        return (uri.host.strip("[]"), uri.port or 5060)


def _same_contact(a: str, b: str) -> bool:
    try:
        ua, ub = parse_uri(a), parse_uri(b)
    except MalformedUri:
        return False
    if not isinstance(ua, SipUri) or not isinstance(ub, SipUri):
        return False
    return (ua.user == ub.user and ua.host.lower() == ub.host.lower()
            and (ua.port or 5060) == (ub.port or 5060))


class Registrar:
    """The bindings of the core's users. Not thread-safe: used from the core's event loop only."""

    def __init__(self, clock: Callable[[], float] | None = None) -> None:
        self._by_impu: dict[str, Binding] = {}
        self._clock = clock or time.monotonic

    def now(self) -> float:
        return self._clock()

    def bind(self, binding: Binding) -> None:
        self._by_impu[uri_key(binding.impu)] = binding

    def unbind(self, impu: str) -> Binding | None:
        return self._by_impu.pop(uri_key(impu), None)

    def _live(self, binding: Binding | None) -> Binding | None:
        if binding is None:
            return None
        if not binding.live(self.now()):
            self.unbind(binding.impu)
            return None
        return binding

    def by_impu(self, impu: str) -> Binding | None:
        return self._live(self._by_impu.get(uri_key(impu)))

    def by_flow(self, key: FlowKey) -> Binding | None:
        for binding in list(self._by_impu.values()):
            if binding.flow == key:
                return self._live(binding)
        return None

    def by_contact(self, uri: str) -> Binding | None:
        for binding in list(self._by_impu.values()):
            if _same_contact(binding.contact, uri):
                return self._live(binding)
        return None
