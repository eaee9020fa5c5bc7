"""Kamailio as the SIP core: digest REGISTER relayed to the AS with the asserted identity, requests
relayed both ways with identical bodies and double Record-Route, and a clear refusal when absent."""
from __future__ import annotations

import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from mcsec.fixtures.lab.kamailio import CoreUser, KamailioConfig, KamailioCore, KamailioUnavailable, render_config
from mcsec.fixtures.wire.inject import liveness
from mcsec.impl.sip import make_request
from tests.unit.core.harness import AS_URI, DOMAIN, FakeAs, LoopThread, TestUa, eventually, impu

USERS = ("alice", "bob")


@pytest.fixture(scope="module")
def kamailio(loop: LoopThread, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[KamailioCore, FakeAs, dict]]:
    if shutil.which("kamailio") is None and not Path("/usr/sbin/kamailio").exists():
        pytest.skip("kamailio is not installed")
    fake_as = loop.run(FakeAs.start())
    passwords = {u: f"pw-{u}-{secrets.token_hex(8)}" for u in USERS}
    config = KamailioConfig(host="127.0.0.1", domain=DOMAIN, as_host="127.0.0.1", as_port=fake_as.udp_port,
                            as_uri=AS_URI, users=tuple(CoreUser(impu(u), u, passwords[u]) for u in USERS),
                            timers_scale=0.05)
    core = KamailioCore(config, tmp_path_factory.mktemp("kamailio"))
    try:
        core.start()
        yield core, fake_as, passwords
    finally:
        core.stop()
        loop.run(fake_as.endpoint.close())
    assert not core.alive()


@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_register_message_and_as_request_through_kamailio(transport: str, loop: LoopThread, kamailio) -> None:
    core, fake_as, passwords = kamailio
    fake_as.reset()

    async def scenario():
        ua = await TestUa.start(core.sip1.address, transport, "alice")
        try:
            challenge, final = await ua.register(passwords["alice"], extra=[("P-Asserted-Identity", "<sip:bob@x>")])
            body = bytes(range(256)) * 8  # every octet value, kept exactly
            message = ua.new_request("MESSAGE", body=body, content_type="application/octet-stream")
            answer = await ua.send(message)
            to_client = make_request("MESSAGE", impu("alice"), from_=f"<{AS_URI}>", to=f"<{impu('alice')}>",
                                     body=b"from the AS", content_type="text/plain")
            back = await fake_as.endpoint.send_request(to_client, core.sip2.address, transport="udp", timeout=5)
            await eventually(lambda: bool(ua.received))
            _, gone = await ua.register(passwords["alice"], expires=0)
            after = await ua.send(ua.new_request("MESSAGE", body=b"late", content_type="text/plain"))
            assert (gone.status, after.status) == (200, 403)  # deregistered: the flow is no longer served
            return challenge, final, body, answer, back, list(ua.received)
        finally:
            await ua.close()

    challenge, final, body, answer, back, received = loop.run(scenario())
    assert challenge.status == 401 and "Digest" in challenge.headers.get("WWW-Authenticate", "")
    assert final.status == 200
    register = fake_as.of_method("REGISTER")[-1].request
    assert register.uri == AS_URI
    assert register.headers.get_all("P-Asserted-Identity") == [f"<{impu('alice')}>"]
    assert "Authorization" not in register.headers
    relayed = fake_as.of_method("MESSAGE")[-1].request
    assert answer.status == 200 and relayed.body == body
    assert relayed.headers.get_all("P-Asserted-Identity") == [f"<{impu('alice')}>"]
    assert len(relayed.headers.get_list("Record-Route")) == 2  # double Record-Route: SIP-2 and SIP-1 faces
    assert back.status == 200
    assert received[-1].request.body == b"from the AS"
    assert len(received[-1].request.headers.get_list("Record-Route")) == 2


def test_wrong_password_and_unregistered_flow_are_refused(loop: LoopThread, kamailio) -> None:
    core, fake_as, passwords = kamailio
    fake_as.reset()

    async def scenario():
        ua = await TestUa.start(core.sip1.address, "udp", "bob")
        try:
            _, wrong = await ua.register("not-the-password")
            stranger = await ua.send(ua.new_request("MESSAGE", body=b"x", content_type="text/plain"))
            _, other = await ua.register(passwords["bob"], to_user="alice")
            return wrong, stranger, other
        finally:
            await ua.close()

    wrong, stranger, other = loop.run(scenario())
    assert wrong.status == 401
    assert stranger.status == 403
    assert other.status == 403
    assert fake_as.received == []
    assert liveness(core.sip1).status == 200 and liveness(core.sip2).status == 200  # OPTIONS to the proxy itself


def test_config_has_the_required_settings(tmp_path: Path) -> None:
    config = KamailioConfig(host="127.0.0.1", domain=DOMAIN, as_host="127.0.0.1", as_port=5070, as_uri=AS_URI,
                            users=(CoreUser(impu("alice"), "alice", "pw"),))
    text = render_config(config, sip1_port=5060, sip2_port=5062, users_file=tmp_path / "u.cfg", modules="/m")
    for line in ("listen=udp:127.0.0.1:5060", "listen=tcp:127.0.0.1:5060", "listen=udp:127.0.0.1:5062",
                 "listen=tcp:127.0.0.1:5062", 'modparam("rr", "enable_double_rr", 1)', "tcp_rd_buf_size=262144",
                 'modparam("usrloc", "db_mode", 0)', 'loadmodule "tm.so"'):
        assert line in text
    with pytest.raises(ValueError, match="cannot be written"):
        render_config(KamailioConfig(host="127.0.0.1", domain=DOMAIN, as_host="127.0.0.1", as_port=1, as_uri=AS_URI,
                                     users=(CoreUser(impu("eve"), "eve", 'pw"; exit;'),)),
                      sip1_port=1, sip2_port=2, users_file=tmp_path / "u.cfg", modules="/m")


def test_the_route_of_a_second_server_identity_is_written(tmp_path: Path) -> None:
    base = dict(host="127.0.0.1", domain=DOMAIN, as_host="127.0.0.1", as_port=5070, as_uri=AS_URI, users=())
    routed = KamailioConfig(**base, route=("sip:mcptt-as-2@example.org", "127.0.0.1", 5072, "udp"))
    text = render_config(routed, sip1_port=5060, sip2_port=5062, users_file=tmp_path / "u.cfg", modules="/m")
    assert 'if ($ru == "sip:mcptt-as-2@example.org")' in text
    assert '$du = "sip:127.0.0.1:5072;transport=udp";' in text
    plain = render_config(KamailioConfig(**base), sip1_port=5060, sip2_port=5062, users_file=tmp_path / "u.cfg",
                          modules="/m")
    assert f'if ($ru == "{AS_URI}")' in plain  # without a route, the AS itself
    with pytest.raises(ValueError, match="route: characters"):
        render_config(KamailioConfig(**base, route=('sip:x@y"; exit;', "127.0.0.1", 5072, "udp")), sip1_port=1,
                      sip2_port=2, users_file=tmp_path / "u.cfg", modules="/m")


def test_missing_binary_is_reported(tmp_path: Path) -> None:
    config = KamailioConfig(host="127.0.0.1", domain=DOMAIN, as_host="127.0.0.1", as_port=1, as_uri=AS_URI, users=())
    broken = tmp_path / "kamailio"
    broken.write_text("#!/bin/sh\necho 'ERROR: cannot start' >&2\nexit 3\n")
    broken.chmod(0o755)
    with pytest.raises(KamailioUnavailable, match="exited with status 3"):
        KamailioCore(config, tmp_path / "run", binary=str(broken)).start(timeout=5)


def test_tcp_to_the_as_leaves_from_the_sip2_port(loop: LoopThread, tmp_path: Path) -> None:
    """tcp_reuse_port: Kamailio's connection to the AS leaves from its SIP-2 listening port, the address
    and port the MCPTT server trusts P-Asserted-Identity from."""
    if shutil.which("kamailio") is None and not Path("/usr/sbin/kamailio").exists():
        pytest.skip("kamailio is not installed")
    fake_as = loop.run(FakeAs.start())
    password = f"pw-{secrets.token_hex(8)}"
    config = KamailioConfig(host="127.0.0.1", domain=DOMAIN, as_host="127.0.0.1",
                            as_port=fake_as.endpoint.tcp_address[1], as_transport="tcp", as_uri=AS_URI,
                            users=(CoreUser(impu("alice"), "alice", password),), timers_scale=0.05)
    core = KamailioCore(config, tmp_path)

    async def scenario() -> int:
        ua = await TestUa.start(core.sip1.address, "udp", "alice")
        try:
            return (await ua.register(password))[1].status
        finally:
            await ua.close()

    try:
        core.start()
        assert loop.run(scenario()) == 200
        register = fake_as.of_method("REGISTER")[-1]
        assert register.transport == "tcp" and register.source == core.sip2.address
    finally:
        core.stop()
        loop.run(fake_as.endpoint.close())
