"""Micro-benchmark of the codecs on every protected message's path: CMS seal/open and SIP parsing.

CMS: the hand-written DER path (lean) against asn1crypto (the reference encoder kept in the tests,
and the general reader), on the body the reference server seals: the mcptt-info entity, a 4-octet
Key ID and the replay stamp bound to the message. Open is the whole of `smime.open` (read, key
unwrap, GCM, stamp) with each reader. SIP: `parse_message` of the messages the MCPTT server reads,
each one distinct (fresh branch, tags and Call-ID, as on the wire, so no remembered value helps),
with the parser's shortcuts on and off (off: the general code alone).

Cases run interleaved, round after round, so machine drift hits all alike; each is timed in CPU
time of this process. Printed are the median microseconds per operation over the rounds and the
ratios.

    .venv/bin/python benchmarks/bench_codecs.py [--rounds 15] [--number 300]
"""
from __future__ import annotations

import argparse
import os
import re
import secrets
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import mcsec.impl.smime as smime  # noqa: E402
from mcsec.impl.mcptt import McpttInfo, SealingKey, SipBinding, build_body  # noqa: E402
from mcsec.impl.mcptt.body import info_entity  # noqa: E402
from mcsec.impl.sip import header_values, make_request, make_response, parse_message, parser, uri  # noqa: E402
from mcsec.impl.smime import asn1_reader  # noqa: E402
from tests.unit.smime import asn1_reference  # noqa: E402

CEK = bytes(range(16))
KEY_ID = 0x2000ABCD
INFO = McpttInfo(request_uri="sip:mcptt-as@example.org", calling_user_id="sip:alice@example.org",
                 called_party_id="sip:bob@example.org")


def _timed(function: Callable[[], object], number: int) -> float:
    """CPU microseconds per call (process time: other work on the machine does not count)."""
    started = time.process_time()
    for _ in range(number):
        function()
    return (time.process_time() - started) / number * 1e6


def _message_as_received(key: SealingKey | None) -> bytes:
    """A MESSAGE as the MCPTT server receives it behind the reference SIP core."""
    request = make_request("MESSAGE", "sip:mcptt-as@example.org", from_="<sip:alice@ims.example.org>",
                           to="<sip:mcptt-as@example.org>", call_id=secrets.token_hex(16),
                           headers=[("P-Asserted-Identity", "<sip:alice@ims.example.org>")])
    request.headers.prepend("Via", f"SIP/2.0/UDP 127.0.0.1:46473;branch=z9hG4bK{secrets.token_hex(12)};"
                                   "rport=46473;received=127.0.0.1")
    request.headers.prepend("Via", f"SIP/2.0/UDP 127.0.0.1:54834;branch=z9hG4bK{secrets.token_hex(12)};rport")
    request.headers.prepend("Record-Route", "<sip:127.0.0.1:34340;lr>")
    request.headers.prepend("Record-Route", "<sip:127.0.0.1:54834;lr>")
    request.headers.set("Max-Forwards", "69")
    body = build_body(INFO, key=key, binding=SipBinding.of_request(request))
    assert body is not None
    body.apply(request)
    return request.to_bytes()


def _response_to(data: bytes, key: SealingKey) -> bytes:
    request = parse_message(data)
    response = make_response(request, 200, to_tag=secrets.token_hex(8))
    body = build_body(INFO, key=key, binding=SipBinding.of_response(response))
    assert body is not None
    body.apply(response)
    return response.to_bytes()


class _Cycle:
    """Calls ``function`` on the next of ``items`` each time."""

    def __init__(self, function: Callable[[bytes], object], items: list[bytes]) -> None:
        self.function, self.items, self.index = function, items, 0

    def __call__(self) -> object:
        self.index = (self.index + 1) % len(self.items)
        return self.function(self.items[self.index])


_NEVER = re.compile(r"(?!)")
_SHORTCUTS = [(header_values, "_ANGLE_ADDRESS", _NEVER), (header_values, "_SIP_2_0_VIA", _NEVER),
              (header_values, "IPV4_ADDRESS", _NEVER), (uri, "IPV4_ADDRESS", _NEVER),
              (parser, "_clean_section", lambda _text, _start: False), (parser, "_PLAIN_HEADER_LINE", _NEVER)]


def _general_parse(data: bytes) -> object:
    """parse_message with every shortcut off (the general code alone)."""
    saved = [(module, name, getattr(module, name)) for module, name, _ in _SHORTCUTS]
    for module, name, pattern in _SHORTCUTS:
        setattr(module, name, pattern)
    try:
        return parse_message(data)
    finally:
        for module, name, pattern in saved:
            setattr(module, name, pattern)


def cases(count: int) -> dict[str, Callable[[], object]]:
    key = SealingKey(KEY_ID, CEK)
    content = info_entity(INFO)
    key_id = KEY_ID.to_bytes(4, "big")
    stamp = smime.ReplayStamp.new(context=smime.SipContext(secrets.token_hex(16), 1, "MESSAGE", 200))
    content_key, nonce = os.urandom(16), os.urandom(12)
    sealed = smime.seal(content, cek=CEK, key_id=key_id, replay_stamp=stamp)

    def lookup(_key_id: bytes) -> bytes:
        return CEK

    protected = [_message_as_received(key) for _ in range(count)]
    clear = [_message_as_received(None) for _ in range(count)]
    responses = [_response_to(data, key) for data in protected]
    return {
        "cms seal, lean": lambda: smime.seal_with_content_key(content, cek=CEK, key_id=key_id, content_key=content_key,
                                                              nonce=nonce, replay_stamp=stamp),
        "cms seal, asn1crypto": lambda: asn1_reference.seal_with_content_key(
            content, cek=CEK, key_id=key_id, content_key=content_key, nonce=nonce, replay_stamp=stamp),
        "cms open, lean": lambda: smime.open(sealed, key_lookup=lookup),
        "cms open, asn1crypto": lambda: smime.open(asn1_reader.read(sealed), key_lookup=lookup),
        "sip parse MESSAGE protected, shortcuts": _Cycle(parse_message, protected),
        "sip parse MESSAGE protected, general": _Cycle(_general_parse, protected),
        "sip parse MESSAGE clear, shortcuts": _Cycle(parse_message, clear),
        "sip parse MESSAGE clear, general": _Cycle(_general_parse, clear),
        "sip parse 200 protected, shortcuts": _Cycle(parse_message, responses),
        "sip parse 200 protected, general": _Cycle(_general_parse, responses),
    }


RATIOS = [("cms seal", "cms seal, asn1crypto", "cms seal, lean"),
          ("cms open", "cms open, asn1crypto", "cms open, lean"),
          ("sip parse MESSAGE protected", "sip parse MESSAGE protected, general", "sip parse MESSAGE protected, shortcuts"),
          ("sip parse MESSAGE clear", "sip parse MESSAGE clear, general", "sip parse MESSAGE clear, shortcuts"),
          ("sip parse 200 protected", "sip parse 200 protected, general", "sip parse 200 protected, shortcuts")]


def main() -> int:
    arguments = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    arguments.add_argument("--rounds", type=int, default=15)
    arguments.add_argument("--number", type=int, default=300, help="operations per case and round")
    args = arguments.parse_args()
    table = cases(args.number)
    for function in table.values():  # warm up
        _timed(function, 20)
    results: dict[str, list[float]] = {name: [] for name in table}
    for _ in range(args.rounds):
        for name, function in table.items():
            results[name].append(_timed(function, args.number))
    medians = {name: statistics.median(values) for name, values in results.items()}
    print(f"CPU microseconds per operation, median of {args.rounds} interleaved rounds of {args.number}")
    for name, value in medians.items():
        print(f"  {name:40} {value:9.1f}")
    print("ratios (slow path / fast path)")
    for label, slow, fast in RATIOS:
        print(f"  {label:40} {medians[slow] / medians[fast]:9.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
