"""What the two KMS XML harnesses share: a token verifier stand-in and the answer check."""
from __future__ import annotations

from mcsec.impl.httpserver import Request, Response
from mcsec.impl.kms.tokens import Principal

ALICE = "sip:alice@example.org"
SERVER = "sip:mcptt-as@example.org"
KMS_URI = "kms.example.org"
ELEMENT_TEXT = ["sip:alice@example.org", "kms.example.org", "sip:mcptt-as@example.org", "2AAAAAAA", "0", "+1",
                "00000000000000000000001", "true", "1", "AAAA", "ZZ==", "=", "2026-01-01T00:00:00Z"]


class AcceptingVerifier:
    """Stands in for the TokenVerifier (its own harness fuzzes tokens): every request is Alice's,
    or the server's when the Authorization header says so."""

    scope_hint = "3gpp:mc:ptt_key_management_service"

    def from_authorization(self, header: str | None) -> Principal:
        if header == "server":
            return Principal(SERVER, None, "mcptt-as", frozenset({self.scope_hint}))
        return Principal("alice", ALICE, "mcptt-client", frozenset({self.scope_hint}))


def request(path: str, body: bytes, principal: str = "user") -> Request:
    return Request(method="POST", path=path, query={}, headers={"authorization": principal}, body=body,
                   client=("192.0.2.1", 40000))


def check_answer(response: Response, parse_response, status_of_code: dict[int, int]) -> None:
    """A KMS answer: 200 with a document, or a KmsError whose code maps to the HTTP status."""
    assert isinstance(response, Response)
    answer = parse_response(response.body)
    if response.status == 200:
        assert answer.error is None
        return
    assert answer.error is not None, response.status
    assert status_of_code[answer.error.code] == response.status, (answer.error.code, response.status)
