"""Client side of the clause 7.13 CEK interface, for MCPTT clients, MCPTT servers and the suite.

It reports what the KMS answered (status, challenge, parsed and validated
answer) rather than judging it; callers decide what is acceptable.
"""
from __future__ import annotations

import ssl
from dataclasses import dataclass

from mcsec.impl import httpclient
from mcsec.impl.kms import cekxml
from mcsec.impl.kms.xmlparse import XmlError


@dataclass(frozen=True)
class CekReply:
    status: int
    www_authenticate: str | None
    answer: cekxml.KmsAnswer | None
    problem: str | None  # why the body could not be read as a KmsResponse, if it could not

    @property
    def cek(self) -> cekxml.KmsCek | None:
        return self.answer.cek if self.answer else None

    @property
    def error(self) -> cekxml.KmsErrorInfo | None:
        return self.answer.error if self.answer else None


class CekClient:
    def __init__(self, base_url: str, kms_uri: str, context: ssl.SSLContext,
                 timeout: float = httpclient.DEFAULT_TIMEOUT_S):
        self._base = base_url.rstrip("/")
        self.kms_uri = kms_uri
        self._ctx = context
        self._timeout = timeout

    def issue(self, token: str | None, user_uri: str, server_uri: str) -> CekReply:
        body = cekxml.build_request(cekxml.CekRequest(user_uri, self.kms_uri, server_uri))
        return self._post(cekxml.CEK_ISSUE_PATH, token, body)

    def fetch(self, token: str | None, server_uri: str, key_id: int) -> CekReply:
        body = cekxml.build_request(cekxml.CekFetch(server_uri, self.kms_uri, key_id))
        return self._post(cekxml.CEK_FETCH_PATH, token, body)

    def _post(self, path: str, token: str | None, body: bytes) -> CekReply:
        reply = httpclient.post_with_bearer(self._base + path, token, body, cekxml.CONTENT_TYPE,
                                            context=self._ctx, timeout=self._timeout)
        answer = problem = None
        try:
            answer = cekxml.parse_response(reply.body)
        except XmlError as exc:
            problem = str(exc)
        return CekReply(reply.status, reply.header("www-authenticate"), answer, problem)
