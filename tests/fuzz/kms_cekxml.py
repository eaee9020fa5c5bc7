"""The clause 7.13 CEK interface XML (impl/kms/cekxml.py) and the KMS endpoints that read it.

The first octet chooses what the rest is: 0, a KmsRequest for ``parse_request``; 1, a KmsResponse
for ``parse_response`` (the client side); 2 and 3, the body of a POST to the issue and fetch
endpoints of the reference KMS (``KmsService``), whose answer must be 200 or a KmsError with the
HTTP status of its code. Every refusal of the codec must be an :class:`XmlError`.
"""
from __future__ import annotations

import datetime as dt

from mcsec.impl.faults import Faults
from mcsec.impl.kms import cekxml
from mcsec.impl.kms.cekstore import CekStore
from mcsec.impl.kms.server import _HTTP_STATUS, KmsService
from mcsec.impl.kms.xmlparse import XmlError
from tests.fuzz.harness import Harness, mode_split, moded_mutator, with_mode
from tests.fuzz.kms_xml import ALICE, KMS_URI, SERVER, AcceptingVerifier, check_answer, request
from tests.fuzz.mutators import bytes_mutator, mixed, xml_mutation

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
NAMES = ["KmsRequest", "KmsResponse", "UserUri", "KmsUri", "CekRequest", "CekFetch", "ServerUri", "KeyId", "Time",
         "KmsMessage", "KmsCek", "Key", "OwnerUri", "ValidFrom", "ValidTo", "KmsError", "ErrorCode", "ErrorMsg"]
TOKENS = tuple(f"<{n}>".encode() for n in NAMES) + (b'xmlns="urn:mcsec:ns:cekKMSInterface:1.0"', b'Version="1.0.0"',
                                                    b"<?xml version='1.0' encoding='UTF-16'?>", b"&amp;", b"&#0;",
                                                    b"<![CDATA[", b"]]>", b"<!--", b"-->")
SERVICE = KmsService(kms_uri=KMS_URI, verifier=AcceptingVerifier(), store=CekStore(3600, Faults([])),
                     servers=[SERVER], faults=Faults([]))
STATUS_OF_CODE = {int(code): status for code, status in _HTTP_STATUS.items()} | {0: 401}


def seeds() -> list[bytes]:
    cek = cekxml.KmsCek(0x2AAAAAAA, bytes(16), ALICE, SERVER, T0, T0 + dt.timedelta(hours=1))
    issue = cekxml.build_request(cekxml.CekRequest(ALICE, KMS_URI, SERVER))
    fetch = cekxml.build_request(cekxml.CekFetch(SERVER, KMS_URI, 0x2AAAAAAA))
    return [
        with_mode(0, issue), with_mode(0, fetch),
        with_mode(1, cekxml.build_cek_response(KMS_URI, ALICE, cek, T0)),
        with_mode(1, cekxml.build_error_response(KMS_URI, 4, "unknown MCPTT server", T0, ALICE)),
        with_mode(2, issue), with_mode(3, fetch),
    ]


def _request(data: bytes) -> None:
    try:
        message = cekxml.parse_request(data)
    except XmlError:
        return
    assert isinstance(message.user_uri, str) and isinstance(message.kms_uri, str)


def _response(data: bytes) -> None:
    try:
        answer = cekxml.parse_response(data)
    except XmlError:
        return
    assert (answer.cek is None) != (answer.error is None)
    assert answer.time.tzinfo is not None


def _endpoint(handler, principal: str):
    def run(data: bytes) -> None:
        check_answer(handler(request(cekxml.CEK_ISSUE_PATH, data, principal)), cekxml.parse_response, STATUS_OF_CODE)
    return run


def one_input(data: bytes) -> None:
    mode, rest = mode_split(data, 4)
    (_request, _response, _endpoint(SERVICE.issue, "user"), _endpoint(SERVICE.fetch, "server"))[mode](rest)


HARNESS = Harness(
    name="kms_cekxml",
    decoder="mcsec.impl.kms.cekxml parse_request, parse_response; KmsService issue and fetch answers",
    one_input=one_input,
    seeds=seeds,
    mutate=moded_mutator([None] * 4, mixed(lambda d, r: xml_mutation(d, r, NAMES), bytes_mutator(TOKENS))),
    tokens=TOKENS,
)
