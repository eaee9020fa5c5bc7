"""Fixtures of the wire tests: one loop thread, the reference SIP core with a fake AS that opens
protected bodies, and the CEK that fake AS knows."""
from __future__ import annotations


from collections.abc import Iterator

import pytest

from mcsec.fixtures.wire.capture import Capture, CaptureUnavailable
from mcsec.fixtures.wire.points import CapturePoint
from mcsec.impl.sip import Request, Response
from mcsec.impl.sip.aio import RequestContext
from mcsec.impl.smime import ReplayGuard, SipContext, SmimeError
from mcsec.impl.smime import open as open_body
from mcsec.impl.smime.mime import body_to_der
from tests.unit.core.harness import CoreUnderTest, LoopThread, start_core, stop_core

KEY_ID = b"\x20\x00\x00\x2a"  # CSK-tagged Key ID
CEK = bytes(range(16))


@pytest.fixture(scope="package")
def loop() -> Iterator[LoopThread]:
    thread = LoopThread()
    yield thread
    thread.close()


@pytest.fixture(scope="package")
def raw_sockets() -> None:
    """Skip when this process may not open packet sockets (the capture then reports why)."""
    probe = Capture({"probe": CapturePoint(ports=(9,))}, start_timeout_s=3)
    try:
        probe.start()
    except CaptureUnavailable as exc:
        pytest.skip(f"capture unavailable here: {exc}")
    probe.stop()


def opening_responder(keys: dict[bytes, bytes]):
    """An AS that opens every body: 200 when it opens, the SIP answer of the failure otherwise
    (493 undecipherable, 415 not a protected body, 403 replayed)."""
    guard = ReplayGuard()

    def respond(request: Request, ctx: RequestContext) -> Response:
        if not request.body or request.method == "REGISTER":
            return ctx.response(200)
        try:
            der = body_to_der(request.body, content_type=request.headers.get("Content-Type"))
            opened = open_body(der, key_lookup=keys.get)
            guard.check(opened.replay_stamp,
                        context=SipContext(request.call_id, request.cseq.seq, request.method))
        except SmimeError as exc:
            return ctx.response(exc.sip_status, exc.sip_reason)
        return ctx.response(200)

    return respond


@pytest.fixture(scope="module")
def wire_core(loop: LoopThread, tmp_path_factory: pytest.TempPathFactory) -> Iterator[CoreUnderTest]:
    core = start_core(loop, tmp_path_factory.mktemp("wire-core"))
    core.fake_as.responder = opening_responder({KEY_ID: CEK})
    yield core
    stop_core(loop, core)


