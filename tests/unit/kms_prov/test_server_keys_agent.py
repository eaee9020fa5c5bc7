"""The test system's agent in the MCPTT server's name at the KMS (fixtures/agents/server_keys.py): the CEK of
a Key ID the KMS gives the server, none for another, and the server's key set for the key period in force."""
from __future__ import annotations

from mcsec.fixtures.agents.server_keys import ServerKeys
from mcsec.impl.kms.cekclient import CekClient
from tests.unit.kms_prov.conftest import SERVER_CLIENT_ID, client_for, current_period


def test_the_server_s_keys_from_the_kms(lab, tokens) -> None:
    p = lab.profile
    server = p.ixit.server(SERVER_CLIENT_ID)
    ceks = CekClient(lab.endpoints.kms_url, p.ixit.kms_uri, lab.ssl_context)
    issued = ceks.issue(tokens.user("alice"), p.ixit.user("alice").mcptt_id, server.uri).cek
    calls = []

    def token() -> str:
        calls.append(1)
        return tokens.server(SERVER_CLIENT_ID)
    keys = ServerKeys(server_uri=server.uri, token=token, ceks=ceks, provisioning=client_for(lab, lab.endpoints.kms_url))
    assert keys.cek_bytes(issued.key_id) == issued.key and keys.cek(issued.key_id).owner_uri == issued.owner_uri
    assert keys.cek_bytes(issued.key_id ^ 0x0000FFFF) is None
    fetches = len(calls)
    assert keys.cek_bytes(issued.key_id) == issued.key and len(calls) == fetches  # fetched once
    key_set = keys.key_set()
    assert key_set.user_uri == server.uri and key_set.key_period_no == current_period()
    key_set.validate(keys.certificate())
    assert keys.key_set() is key_set
