"""Header work of a record-routing proxy with two faces (RFC 3261 section 16.6, RFC 5658).

A :class:`Face` is one side of the core: SIP-1 (clients) or SIP-2 (the MCPTT AS), each a host and a
port serving UDP and TCP. Requests crossing the core get one Record-Route entry per face (double
record-routing, each with ``lr``), a Via of the face they leave by, Max-Forwards decremented, and the
asserted identity set; responses lose the core's Via. Bodies are never touched.
"""
from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import dataclass

from mcsec.impl.core.refusal import CoreRefusal, bad_request
from mcsec.impl.sip import InvalidHeaderValue, MalformedUri, Request, Response, SipUri, parse_uri
from mcsec.impl.sip.header_values import parse_name_address
from mcsec.impl.sip.identifiers import MAGIC_COOKIE
from mcsec.impl.sip.aio.transport import Address

DEFAULT_MAX_FORWARDS = 70
#: Requests that get no Record-Route: REGISTER (no dialog), ACK and CANCEL (hop-by-hop or stateless).
NOT_RECORD_ROUTED = frozenset({"REGISTER", "ACK", "CANCEL"})


@dataclass(frozen=True)
class Face:
    ref: str      # "SIP-1" or "SIP-2"
    host: str
    port: int

    def names(self, uri: SipUri) -> bool:
        """True when ``uri`` addresses this face (host and port; 5060 when the URI has none)."""
        return uri.host.strip("[]").lower() == self.host.lower() and (uri.port or 5060) == self.port

    def record_route(self, transport: str) -> str:
        transport_param = ";transport=tcp" if transport == "tcp" else ""
        return f"<sip:{self.host}:{self.port}{transport_param};lr>"

    def via(self, transport: str, branch: str) -> str:
        return f"SIP/2.0/{transport.upper()} {self.host}:{self.port};branch={branch};rport"


@dataclass(frozen=True)
class Target:
    """Where a request goes next."""

    address: Address
    transport: str


def _route_uri(element: str) -> SipUri | None:
    try:
        uri = parse_name_address(element, header="Route").uri
    except InvalidHeaderValue:
        raise bad_request("unreadable Route") from None
    return uri if isinstance(uri, SipUri) else None


def request_uri(request: Request) -> SipUri | None:
    try:
        uri = parse_uri(request.uri)
    except MalformedUri:
        return None
    return uri if isinstance(uri, SipUri) else None


def pop_own_routes(request: Request, faces: tuple[Face, ...]) -> bool:
    """Remove the Route entries naming the core from the top (RFC 3261 16.4); returns whether any
    was removed. A Request-URI naming the core with Route entries present came from a strict router:
    the last Route becomes the Request-URI."""
    removed = False
    ruri = request_uri(request)
    routes = request.headers.get_list("Route")
    if ruri is not None and routes and any(face.names(ruri) for face in faces):
        last = _route_uri(routes[-1])
        if last is not None:
            request.uri = str(last)
            request.headers.remove("Route")
            for element in routes[:-1]:
                request.headers.add("Route", element)
            removed = True
    while True:
        routes = request.headers.get_list("Route")
        if not routes:
            return removed
        uri = _route_uri(routes[0])
        if uri is None or not any(face.names(uri) for face in faces):
            return removed
        request.headers.pop_first_element("Route")
        removed = True


def next_hop(request: Request) -> SipUri | None:
    """The URI the request goes to next: the top Route, else the Request-URI (None if not SIP)."""
    routes = request.headers.get_list("Route")
    if routes:
        return _route_uri(routes[0])
    return request_uri(request)


def uri_target(uri: SipUri, default_transport: str = "udp") -> Target | None:
    """The address of a URI whose host is an IP address (the core does no DNS)."""
    host = uri.host.strip("[]")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return None
    transport = uri.transport or default_transport
    if transport not in ("udp", "tcp"):
        return None
    return Target((host, uri.port or 5060), transport)


def check_max_forwards(request: Request) -> None:
    """Raise 483 when Max-Forwards is 0 (RFC 3261 16.3 step 3)."""
    try:
        value = request.max_forwards
    except InvalidHeaderValue:
        raise bad_request("bad Max-Forwards") from None
    if value == 0:
        raise CoreRefusal(483)


def decrement_max_forwards(request: Request) -> None:
    """Max-Forwards minus one, or 70 when absent (RFC 3261 16.6 step 3)."""
    value = request.max_forwards
    if value is None:
        request.headers.add("Max-Forwards", str(DEFAULT_MAX_FORWARDS))
    else:
        request.headers.set("Max-Forwards", str(value - 1))


def assert_identity(request: Request, impu: str, *, trust_client: bool) -> None:
    """Replace any client-supplied identity with ``P-Asserted-Identity: <impu>`` (RFC 3325 9.1).

    With ``trust_client`` (the fault ``core_trust_client_identity``) a client's P-Asserted-Identity is
    relayed as it came.
    """
    request.headers.remove("P-Preferred-Identity")
    if trust_client and "P-Asserted-Identity" in request.headers:
        return
    request.headers.remove("P-Asserted-Identity")
    value = f"<{impu}>"
    fields = request.headers.fields
    after = next((i for i, f in enumerate(fields) if f.key == "to"), None)
    if after is None:
        request.headers.add("P-Asserted-Identity", value)
    else:
        request.headers.insert(after + 1, "P-Asserted-Identity", value)


def add_record_routes(request: Request, *, inbound: Face, inbound_transport: str, outbound: Face,
                      outbound_transport: str) -> None:
    """Double record-route (RFC 5658): the outbound face on top, the inbound face below it."""
    if request.method in NOT_RECORD_ROUTED:
        return
    request.headers.prepend("Record-Route", inbound.record_route(inbound_transport))
    request.headers.prepend("Record-Route", outbound.record_route(outbound_transport))


def stateless_branch(request: Request) -> str:
    """A branch for a statelessly forwarded request that is the same for its retransmissions
    (RFC 3261 16.11): derived from the incoming top Via."""
    seed = request.headers.get_list("Via")[0] + "|" + request.uri
    return MAGIC_COOKIE + "-core-" + hashlib.sha256(seed.encode("utf-8")).hexdigest()[:24]


def without_top_via(response: Response) -> Response:
    """The response to relay upstream: a copy without the core's Via (RFC 3261 16.7 step 3)."""
    relayed = response.copy()
    relayed.headers.pop_first_element("Via")
    return relayed


def via_destination(response: Response) -> Target | None:
    """Where a response goes by its (new) top Via: received/rport, else sent-by (RFC 3261 18.2.2)."""
    try:
        via = response.top_via
    except (InvalidHeaderValue, KeyError):
        return None
    transport = via.transport.lower()
    if transport not in ("udp", "tcp"):
        return None
    host = via.received or via.host.strip("[]")
    return Target((host, via.rport or via.port or 5060), transport)
