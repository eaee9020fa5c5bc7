"""The key log: its line format, the owner-only file a run writes, what the reports say of it, and
`mcsec smime open --key-log` on a body, a SIP message and a pcap."""
from __future__ import annotations

import datetime as dt
import json
import stat

import pytest

from mcsec.catalogue import load_catalogue
from mcsec.cli import main
from mcsec.fixtures.keylog import KeyLog, KeyLogError, parse_lines, read_key_log
from mcsec.impl import smime
from mcsec.reports import compliance, results
from tests.unit.judge.test_judge_vectors import build_capture, csk_vector

KEY = bytes(range(16))
KEY_ID = bytes.fromhex("f1234567")


def test_a_key_log_off_writes_nothing(tmp_path):
    log = KeyLog.off()
    log.record("CEK", KEY_ID, KEY, kms_uri="kms.example.org")
    log.close()
    assert not log.on and log.describe() == {"enabled": False, "file": None, "keys": 0, "certificates": 0,
                                             "unresolved": []}


def test_a_key_log_is_owner_only_appended_and_each_key_written_once(tmp_path):
    path = tmp_path / "run.keys"
    path.write_text("# an earlier run\n")
    path.chmod(0o644)
    log = KeyLog(path)
    log.record("CEK", KEY_ID, KEY, kms_uri="kms.example.org")
    log.record("CEK", int.from_bytes(KEY_ID, "big"), KEY, kms_uri="kms.example.org")
    log.record("CSK", 0x2DDD5BF0, bytes.fromhex(csk_vector()["CSK"]))
    log.close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    lines = path.read_text().splitlines()
    assert lines == ["# an earlier run", f"CEK kms.example.org f1234567 {KEY.hex()}",
                     f"CSK 2ddd5bf0 {csk_vector()['CSK']}"]
    content = read_key_log(path)
    assert content.key_for(KEY_ID).key == KEY and content.key_for(KEY_ID).kms_uri == "kms.example.org"
    assert log.describe()["keys"] == 2 and KEY.hex() not in json.dumps(log.describe())


def test_a_new_key_log_starts_with_a_header_and_refuses_what_is_not_a_cek_or_csk(tmp_path):
    log = KeyLog(tmp_path / "new.keys")
    log.open()
    with pytest.raises(ValueError):
        log.record("GMK", KEY_ID, KEY)
    with pytest.raises(ValueError):
        log.record("CEK", KEY_ID, KEY)           # a CEK names its KMS
    with pytest.raises(ValueError):
        log.record("CSK", b"\x01\x02", KEY)
    log.close()
    assert (tmp_path / "new.keys").read_text().startswith("# mcsec key log")
    assert stat.S_IMODE((tmp_path / "new.keys").stat().st_mode) == 0o600


@pytest.mark.parametrize("line,message", [
    ("CEK kms 1234567 " + KEY.hex(), "run.keys line 1: the Key ID is not hexadecimal"),
    ("CEK kms 12345678 " + KEY.hex()[:-2], "run.keys line 1: the CEK must be 16 octets"),
    ("CSK 12345678", "run.keys line 1: a CSK line has 3 fields, this one 2"),
    ("TLS 12345678 " + KEY.hex(), "run.keys line 1: unknown line kind 'TLS'"),
    ("KMS kms 10 0 04 04", "run.keys line 1: the KMS certificate is unusable"),
])
def test_a_bad_line_is_named_by_file_and_number_never_by_its_key(line, message):
    with pytest.raises(KeyLogError) as caught:
        parse_lines([line], "run.keys")
    assert message in str(caught.value)
    assert KEY.hex()[:-2] not in str(caught.value)


def test_one_key_id_with_two_keys_is_refused():
    with pytest.raises(KeyLogError, match="line 2: Key ID 12345678 is listed before with another key"):
        parse_lines([f"CSK 12345678 {KEY.hex()}", f"CSK 12345678 {bytes(16).hex()}"], "k")


def test_results_and_compliance_html_say_when_the_key_log_was_on(tmp_path):
    now = dt.datetime.now(dt.timezone.utc)
    off = results.build(catalogue=load_catalogue(), scenarios=[], sut={"name": "x"}, started=now, finished=now)
    assert off["suite"]["key_log"] == {"enabled": False}
    log = KeyLog(tmp_path / "secret.keys")
    log.record("CEK", KEY_ID, KEY, kms_uri="kms.example.org")
    log.unresolved["0badbeef"] = "the KMS gave no CEK: HTTP 404"
    on = results.build(catalogue=load_catalogue(), scenarios=[], sut={"name": "x"}, started=now, finished=now,
                       key_log=log.describe())
    log.close()
    assert on["suite"]["key_log"]["enabled"] is True and on["suite"]["key_log"]["keys"] == 1
    compliance.write(off, tmp_path / "off.html")
    compliance.write(on, tmp_path / "on.html")
    assert "Key log on" not in (tmp_path / "off.html").read_text()
    page = (tmp_path / "on.html").read_text()
    assert 'id="key-log"' in page and "secret.keys" in page and "0badbeef" in page and KEY.hex() not in page


def test_smime_open_takes_the_key_from_a_key_log(tmp_path, capsys):
    keys = tmp_path / "run.keys"
    keys.write_text(f"CEK kms.example.org {KEY_ID.hex()} {KEY.hex()}\n")
    body = tmp_path / "body.der"
    body.write_bytes(smime.seal(b"hello", cek=KEY, key_id=KEY_ID))
    out = tmp_path / "out"
    assert main(["smime", "open", "--key-log", str(keys), str(body), "-o", str(out)]) == 0
    assert out.read_bytes() == b"hello"
    other = tmp_path / "other.der"
    other.write_bytes(smime.seal(b"hello", cek=KEY, key_id=bytes.fromhex("0badbeef")))
    assert main(["smime", "open", "--key-log", str(keys), str(other)]) == 1
    assert "names Key ID 0badbeef" in capsys.readouterr().err
    assert main(["smime", "open", str(body)]) == 2


def test_smime_open_opens_every_protected_body_of_a_pcap_and_a_sip_message(tmp_path, capsys):
    payloads = build_capture(tmp_path / "event.pcap")
    v = csk_vector()
    keys = tmp_path / "run.keys"
    keys.write_text(f"CSK {v['CSK-ID']} {v['CSK']}\n")
    assert main(["smime", "open", "--key-log", str(keys), str(tmp_path / "event.pcap")]) == 0
    out = capsys.readouterr().out
    assert out.count("# ") == 2 and out.count("<mcpttURI>sip:alice@streamwide.com</mcpttURI>") == 2
    message = tmp_path / "message.sip"
    message.write_bytes(payloads["protected-sip2"])
    assert main(["smime", "open", "--key-log", str(keys), str(message)]) == 0
    assert "application/vnd.3gpp.mcptt-info+xml" in capsys.readouterr().out
    keys.write_text(f"CSK {v['CSK-ID']} {bytes(16).hex()}\n")
    assert main(["smime", "open", "--key-log", str(keys), str(tmp_path / "event.pcap")]) == 1


def test_a_line_repeated_by_the_workers_of_a_parallel_run_is_read_once():
    from mcsec.fixtures.keylog import certificate_line
    from mcsec.impl.ibc.kms_keys import IbcKms
    from mcsec.impl.ibc.uid import KeyPeriod

    cert = IbcKms.generate("kms.example.org", KeyPeriod(2592000, 0)).certificate()
    key = f"CSK 12345678 {KEY.hex()}"
    content = parse_lines([certificate_line(cert), key, certificate_line(cert), key], "k")
    assert content.certificates == (cert,) and len(content.keys) == 1
