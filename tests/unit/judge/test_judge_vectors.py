"""`mcsec judge` on a capture built by hand from the independent MIKEY-SAKKE vectors
(fixtures/vectors/mikey-sakke-vectors.json): the CSK I_MESSAGE from sip:alice@streamwide.com to
gms@streamwide.com, then a MESSAGE whose mcptt-info is sealed under the vectors' CSK and CSK-ID, each on
SIP-1 and relayed on SIP-2, in Ethernet/IPv4/UDP frames written with fixtures/wire/frames.py."""
from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

from mcsec.cli import main
from mcsec.fixtures.wire.frames import Frame, write_pcap
from mcsec.impl.ibc.mikey import decode_i_message
from mcsec.impl.mcptt.body import SealingKey, SipBinding, build_body
from mcsec.impl.mcptt.info import McpttInfo
from mcsec.impl.mcptt.mikey_body import build_mikey_body
from mcsec.impl.sip import make_request
from tests.repo import ROOT

VECTORS = ROOT / "fixtures" / "vectors" / "mikey-sakke-vectors.json"
ALICE = "sip:alice@streamwide.com"
ALICE_IMPU = "sip:user-7@ims.streamwide.com"
GMS = "gms@streamwide.com"
GROUP = "sip:group-9@streamwide.com"
CLIENT, CORE, AS = ("10.10.0.1", 5070), ("10.10.0.2", 5060), ("10.10.0.3", 5090)
CORE_SIP2 = ("10.10.0.2", 5080)


def vectors() -> dict:
    return json.loads(VECTORS.read_text())


def csk_vector() -> dict:
    return next(m for m in vectors()["i_messages"] if m["name"] == "CSK")


def _checksum(header: bytes) -> int:
    total = sum(struct.unpack(f"!{len(header) // 2}H", header))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def udp_frame(src: tuple[str, int], dst: tuple[str, int], payload: bytes, ident: int) -> bytes:
    """Ethernet II / IPv4 (checksummed) / UDP (no checksum, allowed over IPv4) around ``payload``."""
    udp = struct.pack("!HHHH", src[1], dst[1], 8 + len(payload), 0) + payload
    addr = lambda host: bytes(int(x) for x in host.split("."))  # noqa: E731
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), ident, 0, 64, 17, 0, addr(src[0]), addr(dst[0]))
    ip = ip[:10] + struct.pack("!H", _checksum(ip)) + ip[12:]
    ether = bytes.fromhex("02000000000202000000000108 00".replace(" ", ""))
    return ether + ip + udp


def _message(body_of, call_id: str, cseq: int, *, relayed: bool) -> bytes:
    request = make_request("MESSAGE", "sip:mcptt-as@streamwide.com", from_=f"<{ALICE_IMPU}>",
                           to="<sip:mcptt-as@streamwide.com>", cseq=cseq, call_id=call_id, from_tag="1",
                           via=f"SIP/2.0/UDP 10.10.0.1:5070;branch=z9hG4bK{call_id}")
    if relayed:
        request.headers.prepend("Via", f"SIP/2.0/UDP 10.10.0.2:5080;branch=z9hG4bK{call_id}-r")
        request.headers.add("P-Asserted-Identity", f"<{ALICE_IMPU}>")
    body_of(request).apply(request)
    return request.to_bytes()


def build_capture(path: Path) -> dict[str, bytes]:
    """The pcap, and the payloads it carries by name (to find the octets a test changes)."""
    v = csk_vector()
    i_message = bytes.fromhex(v["i_message_hex"])
    key = SealingKey(int(v["CSK-ID"], 16), bytes.fromhex(v["CSK"]))
    info = McpttInfo(calling_user_id=ALICE, called_party_id="sip:bob@streamwide.com", calling_group_id=GROUP)

    def sealed(request):
        return build_body(info, key=key, binding=SipBinding.of_request(request))
    payloads = {
        "upload-sip1": _message(lambda r: build_mikey_body(i_message), "csk-upload-1", 1, relayed=False),
        "upload-sip2": _message(lambda r: build_mikey_body(i_message), "csk-upload-1", 1, relayed=True),
        "ok-sip1": b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 10.10.0.1:5070;branch=z9hG4bK1\r\nFrom: <" + ALICE_IMPU.encode()
                   + b">;tag=1\r\nTo: <sip:mcptt-as@streamwide.com>;tag=2\r\nCall-ID: csk-upload-1\r\n"
                   b"CSeq: 1 MESSAGE\r\nContent-Length: 0\r\n\r\n",
        "protected-sip1": _message(sealed, "protected-1", 2, relayed=False),
    }
    # the SIP core relays the protected request as it received it, but for the asserted identity
    payloads["protected-sip2"] = payloads["protected-sip1"].replace(
        b"\r\nVia: ", b"\r\nVia: SIP/2.0/UDP 10.10.0.2:5080;branch=z9hG4bKp-r\r\nVia: ", 1).replace(
        b"\r\nCall-ID", f"\r\nP-Asserted-Identity: <{ALICE_IMPU}>\r\nCall-ID".encode(), 1)
    route = {"upload-sip1": (CLIENT, CORE), "upload-sip2": (CORE_SIP2, AS), "ok-sip1": (CORE, CLIENT),
             "protected-sip1": (CLIENT, CORE), "protected-sip2": (CORE_SIP2, AS)}
    frames = [Frame(1_760_000_000 + i * 0.1, udp_frame(*route[name], payload, 100 + i))
              for i, (name, payload) in enumerate(payloads.items())]
    write_pcap(frames, path)
    return payloads


def _toml_table(mapping: dict) -> str:
    return "".join(f'{k} = "{v}"\n' for k, v in mapping.items())


def write_keys(folder: Path, *, key_lines: list[str] | None = None, extra: str = "", key_set: dict | None = None,
               sensitive: str | None = None) -> Path:
    v = csk_vector()
    gms = key_set if key_set is not None else next(k for k in vectors()["key_sets"].values() if k["UserUri"] == GMS)
    lines = key_lines if key_lines is not None else [f"CSK {v['CSK-ID']} {v['CSK']}"]
    text = (f"name = \"vectors\"\nkeys = {json.dumps(lines)}\nservers = [\"{GMS}\"]\n{extra}"
            + (sensitive if sensitive is not None else f"[sensitive]\nmcptt_ids = [\"{ALICE}\"]\ngroup_ids = [\"{GROUP}\"]\n")
            + f"[impu]\n\"{ALICE_IMPU}\" = \"{ALICE}\"\n"
            + "[sip]\nsip1_ports = [5060]\nsip2_ports = [5080]\n"
            + f"[[kms]]\nfile = \"{VECTORS}\"\n"
            + "[[key_set]]\n" + _toml_table(gms))
    path = folder / "KEYS.toml"
    path.write_text(text)
    return path


def judge(tmp_path: Path, capture: Path, keys: Path, *extra: str) -> tuple[int, dict | None]:
    out = tmp_path / "out"
    status = main(["judge", str(capture), "--keys", str(keys), "--out", str(out), *extra])
    results = out / "results.json"
    return status, json.loads(results.read_text()) if results.exists() else None


def verdicts_of(document: dict) -> dict[str, str]:
    return {s["id"]: s["verdict"] for s in document["scenarios"]}


@pytest.fixture
def capture(tmp_path) -> tuple[Path, dict[str, bytes]]:
    path = tmp_path / "event.pcap"
    return path, build_capture(path)


def test_the_vectors_capture_is_judged_pass(tmp_path, capture, capsys):
    pcap, _ = capture
    status, doc = judge(tmp_path, pcap, write_keys(tmp_path))
    assert status == 0, capsys.readouterr()
    got = verdicts_of(doc)
    assert got == {"JUDGE-1": "pass", "JUDGE-1-INT": "pass", "JUDGE-1-CONF": "pass", "JUDGE-2": "pass",
                   "JUDGE-2-INT": "pass", "JUDGE-2-CONF": "pass", "JUDGE-3": "pass", "JUDGE-4": "pass",
                   "JUDGE-5": "pass"}
    by_id = {s["id"]: s for s in doc["scenarios"]}
    assert by_id["JUDGE-1"]["feature"] == "judge/SIP-1" and by_id["JUDGE-2"]["feature"] == "judge/SIP-2"
    assert by_id["JUDGE-4"]["requirements"] == ["R714-CONF-SIP1", "R714-CONF-CORE"]
    assert by_id["JUDGE-5"]["requirements"] == ["R714-CONF-SIP2", "R714-CONF-CORE"]
    assert by_id["JUDGE-1-INT"]["requirements"] == ["R714-CEK-INT"]
    assert by_id["JUDGE-1-CONF"]["requirements"] == ["R714-CEK-CONF"]
    steps = " ".join(st["text"] for st in by_id["JUDGE-1-INT"]["steps"])
    assert f"signed by {ALICE}" in steps and ALICE_IMPU in steps
    assert f"with the key set of {GMS}" in " ".join(st["text"] for st in by_id["JUDGE-1-CONF"]["steps"])
    assert "application/vnd.3gpp.mcptt-info+xml" in " ".join(st["text"] for st in by_id["JUDGE-4"]["steps"])
    rows = {r["id"]: r["verdict"] for r in doc["requirements"]}
    assert rows["R714-CEK-INT"] == rows["R714-CEK-CONF"] == rows["R714-CONF-SIP1"] == rows["R714-CONF-SIP2"] == "pass"
    assert rows["R713-CONF-SIP1"] == "not_tested"   # every message is placed in 7.14 by its dialog's CSK
    assert doc["suite"]["judge"]["messages"] == 5
    for name in ("junit.xml", "cucumber.json", "compliance.html", "manifest.json"):
        assert (tmp_path / "out" / name).is_file()
    csk = csk_vector()["CSK"]
    printed = capsys.readouterr()
    assert csk not in printed.out + printed.err
    assert all(csk not in p.read_text(errors="replace") for p in (tmp_path / "out").rglob("*") if p.is_file())


def _flip(pcap: Path, payload: bytes, offset_in_payload: int) -> None:
    data = bytearray(pcap.read_bytes())
    at = data.index(payload) + offset_in_payload
    data[at] ^= 0x01
    pcap.write_bytes(bytes(data))


def _body_offset(payload: bytes, from_end: int) -> int:
    return len(payload) - from_end


@pytest.mark.parametrize("payload,where,failing", [
    # a bit of the GCM tag at the end of the sealed body on SIP-2: that body no longer opens with the CSK
    ("protected-sip2", 3, {"JUDGE-5"}),
    # the last octet of the ECCSI signature's r on SIP-1: signature fails; the SAKKE payload still decrypts
    ("upload-sip1", 129 - 5, {"JUDGE-1-INT"}),
    # inside the SAKKE payload's H on SIP-2: the signature (over it) fails and so does the decryption
    ("upload-sip2", "sed", {"JUDGE-2-INT", "JUDGE-2-CONF"}),
])
def test_one_byte_changed_is_judged_fail(tmp_path, capture, payload, where, failing):
    pcap, payloads = capture
    data = payloads[payload]
    if where == "sed":  # the third-last octet of H, found through the codec
        sed = decode_i_message(bytes.fromhex(csk_vector()["i_message_hex"])).sakke.sed
        offset = data.index(sed) + len(sed) - 3
    else:
        offset = _body_offset(data, where)
    _flip(pcap, data, offset)
    status, doc = judge(tmp_path, pcap, write_keys(tmp_path))
    assert status == 1
    got = verdicts_of(doc)
    assert {k for k, v in got.items() if v != "pass"} == failing, got
    assert all(got[k] == "fail" for k in failing)
    for sid in failing:
        evidence = next(s for s in doc["scenarios"] if s["id"] == sid)["evidence"]
        assert any(p.endswith("message.sip") for p in evidence)


def test_a_body_under_a_key_id_without_key_is_inconclusive(tmp_path, capture):
    pcap, _ = capture
    status, doc = judge(tmp_path, pcap, write_keys(tmp_path, key_lines=[]))
    assert status == 3
    got = verdicts_of(doc)
    assert got["JUDGE-4"] == got["JUDGE-5"] == "inconclusive"
    assert got["JUDGE-1-CONF"] == "pass", "the key set of the responder alone decrypts the I_MESSAGE"
    reason = next(s for s in doc["scenarios"] if s["id"] == "JUDGE-4")["reason"]
    assert "no key for Key ID 2ddd5bf0" in reason


def test_without_the_key_set_the_logged_csk_is_checked_by_encapsulating_it_again(tmp_path, capture):
    pcap, _ = capture
    keys = write_keys(tmp_path)
    keys.write_text(keys.read_text().split("[[key_set]]")[0])
    status, doc = judge(tmp_path, pcap, keys)
    assert status == 0
    conf = next(s for s in doc["scenarios"] if s["id"] == "JUDGE-1-CONF")
    assert "encapsulates the logged CSK of 2ddd5bf0" in " ".join(st["text"] for st in conf["steps"])
    other = "00112233445566778899aabbccddeeff"
    keys.write_text(keys.read_text().replace(csk_vector()["CSK"], other))
    status, doc = judge(tmp_path, pcap, keys)
    got = verdicts_of(doc)
    assert status == 1 and got["JUDGE-1-CONF"] == "fail" and got["JUDGE-4"] == "fail"


def test_an_identity_readable_in_the_capture_fails_its_message(tmp_path, capture):
    pcap, _ = capture
    sensitive = f"[sensitive]\nmcptt_ids = [\"{ALICE}\"]\nother = [\"user-7@ims\"]\n"
    status, doc = judge(tmp_path, pcap, write_keys(tmp_path, sensitive=sensitive))
    assert status == 1
    failed = {s["id"] for s in doc["scenarios"] if s["verdict"] == "fail"}
    assert failed == {"JUDGE-1", "JUDGE-2", "JUDGE-3", "JUDGE-4", "JUDGE-5"}  # every From names the IMPU
    assert "user-7@ims" in next(s for s in doc["scenarios"] if s["id"] == "JUDGE-3")["reason"]


def test_an_unattributable_signer_is_inconclusive(tmp_path, capture):
    pcap, _ = capture
    keys = write_keys(tmp_path, sensitive=f"[sensitive]\ngroup_ids = [\"{GROUP}\"]\n")
    keys.write_text(keys.read_text().replace(f"[impu]\n\"{ALICE_IMPU}\" = \"{ALICE}\"\n", ""))
    status, doc = judge(tmp_path, pcap, keys)
    assert status == 3
    assert verdicts_of(doc)["JUDGE-1-INT"] == "inconclusive"


def _gms() -> dict:
    return dict(next(k for k in vectors()["key_sets"].values() if k["UserUri"] == GMS))


@pytest.mark.parametrize("change,named", [
    (dict(key_lines=["CSK 2ddd5bf0 e06e6510"]), "keys[0]: the CSK must be 16 octets"),
    (dict(key_lines=["CEK 2ddd5bf0 e06e65106183547342d3e8a6ce2540a8"]), "keys[0]: a CEK line has 4 fields"),
    (dict(key_lines=["GMK 2ddd5bf0 e06e65106183547342d3e8a6ce2540a8"]), "keys[0]: unknown line kind 'GMK'"),
    (dict(key_set={**_gms(), "UserDecryptKey": "not-hex"}), "key_set[0]: UserDecryptKey: not valid hex"),
    (dict(key_set={k: v for k, v in _gms().items() if k != "UserSigningKeySSK"}),
     "key_set[0]: missing field UserSigningKeySSK"),
    (dict(key_set={**_gms(), "UserUri": "sip:mallory@streamwide.com",
                   "UserID": "00" * 32}), "key_set[0] (sip:mallory@streamwide.com): not a key set of a listed KMS"),
    (dict(extra="colour = \"blue\"\n"), "unknown key colour"),
    (dict(extra="clauses = [\"7.15\"]\n"), "clauses: expected some of 7.13, 7.14"),
    (dict(extra="key_log = \"missing.keys\"\n"), "key_log[0]"),
    (dict(sensitive="[sensitive]\nmcptt_id = [\"x\"]\n"), "sensitive: unknown key mcptt_id"),
])
def test_bad_keys_toml_is_a_usage_error_naming_the_key(tmp_path, capture, capsys, change, named):
    pcap, _ = capture
    status, _doc = judge(tmp_path, pcap, write_keys(tmp_path, **change))
    err = capsys.readouterr().err
    assert status == 2
    assert named in err and "KEYS.toml" in err, err
    for secret in (_gms()["UserDecryptKey"], _gms()["UserSigningKeySSK"], "e06e6510"):
        assert secret not in err


def test_captures_that_cannot_be_placed_on_sip1_or_sip2_are_a_usage_error(tmp_path, capture, capsys):
    pcap, _ = capture
    keys = write_keys(tmp_path)
    keys.write_text(keys.read_text().replace("[sip]\nsip1_ports = [5060]\nsip2_ports = [5080]\n", ""))
    assert judge(tmp_path, pcap, keys)[0] == 2
    assert "--sip-ports" in capsys.readouterr().err
    status, doc = judge(tmp_path, pcap, keys, "--sip-ports", "5060:5080")
    assert status == 0 and doc["suite"]["judge"]["messages"] == 5
    status, doc = judge(tmp_path, pcap, keys, "--sip-ports", "5060:5999")
    assert doc["suite"]["judge"]["not_on_sip1_or_sip2"] == 2 and doc["suite"]["judge"]["messages"] == 3
    assert judge(tmp_path, tmp_path / "KEYS.toml", keys, "--sip-ports", "5060:5080")[0] == 2  # not a pcap


def test_a_second_certificate_of_the_same_kms_uri_does_not_hide_the_one_that_verifies(tmp_path, capture, capsys):
    """Key logs may list several certificates under one KMS URI (each worker of a parallel run has a KMS of
    that URI): the I_MESSAGE is judged under the one it verifies with, whichever comes first."""
    from mcsec.fixtures.keylog import certificate_line
    from mcsec.impl.ibc.kms_keys import IbcKms
    from mcsec.impl.ibc.uid import KeyPeriod

    pcap, _ = capture
    v = csk_vector()
    decoy = IbcKms.generate("kms.mydev.streamwide.com", KeyPeriod(16777215, 0)).certificate()
    keys = write_keys(tmp_path, key_lines=[certificate_line(decoy), f"CSK {v['CSK-ID']} {v['CSK']}"])
    status, doc = judge(tmp_path, pcap, keys)
    assert status == 0, capsys.readouterr()
    assert set(verdicts_of(doc).values()) == {"pass"}
