"""Messages built from other messages: responses to requests (RFC 3261 section 8.2.6), answers to
malformed requests, ACKs (sections 17.1.1.3 and 13.2.2.4), and new requests."""

from __future__ import annotations

from collections.abc import Iterable

from .errors import InvalidHeaderValue, SipParseError
from .header_values import parse_name_address, parse_via
from .headers import Headers, split_header_list
from .identifiers import new_call_id, new_tag
from .message import Request, Response
from .status import reason_phrase

__all__ = ["make_response", "make_error_response", "make_non2xx_ack", "make_2xx_ack", "make_request"]


def _add_tag(to_value: str, tag: str) -> str:
    return f"{to_value};tag={tag}"


def _has_tag(to_value: str) -> bool:
    try:
        return parse_name_address(to_value, header="To").tag is not None
    except InvalidHeaderValue:
        return ";tag=" in to_value.replace(" ", "").lower()


def make_response(request: Request, status: int, reason: str | None = None, *,
                  to_tag: str | None = None, headers: Iterable[tuple[str, str]] = (),
                  body: bytes = b"", content_type: str | None = None) -> Response:
    """Build the response to ``request`` per RFC 3261 section 8.2.6.

    Via lines (all, in order), From, Call-ID and CSeq are copied; To is copied and, unless the status is
    100 or To already has a tag, given ``to_tag`` (a fresh random tag when ``None``: pass the same tag to
    every response of one transaction). A 100 copies Timestamp; 101-299 copy Record-Route. ``reason``
    defaults to the standard phrase. ``headers`` are appended, then Content-Type and Content-Length.
    """
    out = Headers()
    for f in request.headers:
        if f.key == "via":
            out.add("Via", f.value)
    out.add("From", request.headers.get("From") or "")
    to_value = request.headers.get("To") or ""
    if status != 100 and not _has_tag(to_value):
        to_value = _add_tag(to_value, to_tag or new_tag())
    out.add("To", to_value)
    out.add("Call-ID", request.headers.get("Call-ID") or "")
    out.add("CSeq", request.headers.get("CSeq") or "")
    if status == 100 and "Timestamp" in request.headers:
        out.add("Timestamp", request.headers.get("Timestamp") or "")
    if 100 < status < 300:
        for value in request.headers.get_all("Record-Route"):
            out.add("Record-Route", value)
    for name, value in headers:
        out.add(name, value)
    response = Response(status=status, reason=reason if reason is not None else reason_phrase(status),
                        headers=out)
    response.set_body(body, content_type)
    return response


def make_error_response(error: SipParseError) -> Response | None:
    """The answer to a request that failed to parse, or ``None`` when none can be formed.

    An answer needs a readable request (not ACK) with a usable top Via (to route the response) and the
    From, To, Call-ID and CSeq lines (copied as received). The status is ``error.status`` and the reason
    phrase names the fault.
    """
    partial = error.partial
    if partial is None or partial.kind != "request" or partial.method == "ACK":
        return None
    headers = partial.headers
    vias = [f.value for f in headers if f.key == "via"]
    if not vias:
        return None
    try:
        elements = split_header_list(vias[0])
        if not elements:
            return None
        parse_via(elements[0])
    except (InvalidHeaderValue, ValueError):
        return None
    values = {name: headers.get(name) for name in ("From", "To", "Call-ID", "CSeq")}
    if any(v is None or not v.strip() for v in values.values()):
        return None
    out = Headers()
    for value in vias:
        out.add("Via", value)
    out.add("From", values["From"] or "")
    to_value = values["To"] or ""
    out.add("To", to_value if _has_tag(to_value) else _add_tag(to_value, new_tag()))
    out.add("Call-ID", values["Call-ID"] or "")
    out.add("CSeq", values["CSeq"] or "")
    response = Response(status=error.status, reason=error.reason, headers=out)
    response.set_body(b"")
    return response


def make_non2xx_ack(invite: Request, response: Response) -> Request:
    """The ACK an INVITE client transaction sends for a 300-699 response (RFC 3261 section 17.1.1.3).

    Same Request-URI, Call-ID, From, CSeq number and top Via (same branch) as the INVITE; To from the
    response (with its tag); Route copied from the INVITE.
    """
    headers = Headers()
    top_via = invite.headers.get_list("Via")[0]
    headers.add("Via", top_via)
    for value in invite.headers.get_all("Route"):
        headers.add("Route", value)
    headers.add("Max-Forwards", "70")
    headers.add("From", invite.headers.get("From") or "")
    headers.add("To", response.headers.get("To") or "")
    headers.add("Call-ID", invite.headers.get("Call-ID") or "")
    headers.add("CSeq", f"{invite.cseq.seq} ACK")
    headers.add("Content-Length", "0")
    return Request(method="ACK", uri=invite.uri, headers=headers, version=invite.version)


def make_2xx_ack(invite: Request, response: Response, *, via: str | None = None) -> Request:
    """The end-to-end ACK for a 2xx to ``invite`` (RFC 3261 section 13.2.2.4).

    The Request-URI is the 2xx's Contact when it has one (the remote target), else the INVITE's; the
    route set is the 2xx's Record-Route in reverse order; CSeq number as the INVITE's. ``via`` is the new
    top Via (with a fresh branch); when ``None`` the sending endpoint adds one.
    """
    headers = Headers()
    if via is not None:
        headers.add("Via", via)
    for value in reversed(response.headers.get_list("Record-Route")):
        headers.add("Route", value)
    headers.add("Max-Forwards", "70")
    headers.add("From", invite.headers.get("From") or "")
    headers.add("To", response.headers.get("To") or "")
    headers.add("Call-ID", invite.headers.get("Call-ID") or "")
    headers.add("CSeq", f"{invite.cseq.seq} ACK")
    headers.add("Content-Length", "0")
    target = invite.uri
    contacts = response.contacts
    if contacts and contacts[0].uri is not None:
        target = str(contacts[0].uri)
    return Request(method="ACK", uri=target, headers=headers, version=invite.version)


def make_request(method: str, uri: str, *, from_: str, to: str, call_id: str | None = None,
                 cseq: int = 1, from_tag: str | None = None, contact: str | None = None,
                 via: str | None = None, max_forwards: int = 70,
                 headers: Iterable[tuple[str, str]] = (), body: bytes = b"",
                 content_type: str | None = None) -> Request:
    """A new out-of-dialog request (RFC 3261 section 8.1.1).

    ``from_`` and ``to`` are name-addr values (``"<sip:alice@example.com>"``); From gets ``from_tag``
    (fresh when ``None``). Without ``via`` the sending endpoint adds the top Via. ``headers`` are
    appended after the standard ones.
    """
    out = Headers()
    if via is not None:
        out.add("Via", via)
    out.add("Max-Forwards", str(max_forwards))
    out.add("From", _add_tag(from_, from_tag or new_tag()))
    out.add("To", to)
    out.add("Call-ID", call_id or new_call_id())
    out.add("CSeq", f"{cseq} {method}")
    if contact is not None:
        out.add("Contact", contact)
    for name, value in headers:
        out.add(name, value)
    request = Request(method=method, uri=uri, headers=out)
    request.set_body(body, content_type)
    return request
