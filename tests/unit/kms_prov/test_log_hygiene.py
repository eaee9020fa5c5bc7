"""No key and no token reaches the KMS's log."""
from __future__ import annotations

from mcsec.impl.kms import provxml
from tests.unit.kms_prov.conftest import client_for, raw_post


def test_no_key_or_token_in_the_kms_log(lab, client, tokens):
    secrets_seen: list[str] = []
    alice = tokens.user("alice")
    cert = client.init(alice).certificate
    for reply in (client.keyprov(alice), client_for(lab, lab.endpoints.kms_url).keyprov(
            tokens.server(), lab.profile.ixit.server("mcptt-as").uri)):
        assert reply.status == 200
        ks = reply.key_sets[0].key_set
        secrets_seen += [ks.rsk.hex(), ks.signing_key().ssk_bytes().hex(), ks.pvt.hex(), ks.user_id.hex()]
    secrets_seen += [cert.z_t.hex(), cert.kpak.hex()]
    raw_post(lab, lab.endpoints.kms_url, provxml.KEYPROV_PATH, alice + "x")  # a refused token is not logged either
    secrets_seen += [alice, tokens.server()]
    log = lab.roles["kms"].log_path.read_text()
    assert "provisioned the key set of sip:alice@example.org" in log  # the log is the one written
    lowered = log.lower()
    for value in secrets_seen:
        assert value.lower() not in lowered
        assert value.lower()[:32] not in lowered
