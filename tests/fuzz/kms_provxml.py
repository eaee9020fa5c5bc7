"""The TS 33.180 Annex D provisioning XML (impl/kms/provxml.py) and the KMS endpoints that read it.

The first octet chooses what the rest is: 0, a KmsRequest for ``parse_request``; 1 to 3, a
KmsResponse for ``parse_response`` with UserID read as auto, hex or base64 (the client side);
4, any Annex D document for ``parse_key_material``; 5 to 7, the body of a POST to the init,
keyprov and certcache endpoints of the reference KMS, whose answer must be 200 or a KmsError with
the HTTP status of its code. Every refusal of the codec must be an :class:`XmlError`.
"""
from __future__ import annotations

import datetime as dt
import functools

from lxml import etree

from mcsec.impl.faults import Faults
from mcsec.impl.ibc.key_material import KmsCertificate, UserKeySet
from mcsec.impl.kms import provconfig, provxml
from mcsec.impl.kms.provkeys import KeyProvisioner
from mcsec.impl.kms.provservice import _HTTP_STATUS, ProvisioningService
from mcsec.impl.kms.xmlparse import XmlError
from tests.fuzz.harness import Harness, mode_split, moded_mutator, with_mode
from tests.fuzz.kms_xml import ALICE, KMS_URI, SERVER, AcceptingVerifier, check_answer, request
from tests.fuzz.mikey import vectors
from tests.fuzz.mutators import bytes_mutator, mixed, xml_mutation

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
T1 = dt.datetime(2026, 7, 1, tzinfo=dt.timezone.utc)
NAMES = ["KmsRequest", "KmsResponse", "UserUri", "KmsUri", "Time", "ClientId", "DeviceId", "ClientReqUrl",
         "ClientError", "KmsId", "KmsMessage", "KmsInit", "KmsKeyProv", "KmsCertCache", "KmsError", "ErrorCode",
         "ErrorMsg", "KmsCertificate", "CertUri", "Issuer", "ValidFrom", "ValidTo", "Revoked", "UserIdFormat",
         "UserKeyPeriod", "UserKeyOffset", "PubEncKey", "PubAuthKey", "ParameterSet", "KmsDomainList", "KmsDomain",
         "KmsKeySet", "UserID", "KeyPeriodNo", "UserDecryptKey", "UserSigningKeySSK", "UserPubTokenPVT"]
TOKENS = tuple(f"<{n}>".encode() for n in NAMES) + (b'xmlns="urn:3gpp:ns:mcsecKMSInterface:1.0"', b'Version="1.0.0"',
                                                    b'xsi:type="EncKey"', b"<?xml version='1.0' encoding='UTF-16'?>",
                                                    b"&amp;", b"<![CDATA[", b"]]>")
USER_ID_FORMATS = ("auto", "hex", "base64")
ENDPOINTS = (provxml.INIT_PATH, provxml.KEYPROV_PATH, provxml.CERTCACHE_PATH)
STATUS_OF_CODE = {int(code): status for code, status in _HTTP_STATUS.items()} | {0: 401}


@functools.cache
def service() -> ProvisioningService:
    config = provconfig.parse({}, KMS_URI)
    return ProvisioningService(kms_uri=KMS_URI, verifier=AcceptingVerifier(),
                               provisioner=KeyProvisioner(config.make_kms(), config, Faults([])),
                               servers=[SERVER], user_id_format=config.user_id_format, faults=Faults([]))


def seeds() -> list[bytes]:
    v = vectors()
    kms_uri = v["kms_init"]["KmsUri"]
    cert = provxml.ProvisionedCertificate(KmsCertificate.from_mapping(v["kms_init"]), "cert1.kms", "issuer", T0, T1,
                                          domains=("example.org",))
    key_sets = [provxml.ProvisionedKeySet(UserKeySet.from_mapping(ks), kms_uri, "cert1.kms", "issuer", T0, T1, revoked)
                for ks, revoked in ((v["key_sets"]["GMS"], False), (v["key_sets"]["Alice"], True))]
    request_full = provxml.build_request(provxml.ProvRequest(ALICE, KMS_URI, T0, "client", "device", "https://c.example"))
    request_min = provxml.build_request(provxml.ProvRequest(ALICE, KMS_URI))
    init = provxml.build_init_response(kms_uri, ALICE, cert, T0, "https://c.example")
    keyprov_hex = provxml.build_keyprov_response(kms_uri, ALICE, key_sets, T0, "hex")
    keyprov_b64 = provxml.build_keyprov_response(kms_uri, ALICE, key_sets[:1], T0, "base64")
    certcache = provxml.build_certcache_response(kms_uri, None, [cert, cert], T0, cache_num=3)
    error = provxml.build_error_response(kms_uri, 3, "token belongs to another user", T0, ALICE)
    root = etree.fromstring(keyprov_hex)
    bare_key_set = etree.tostring(root.find(f".//{{{provxml.NS}}}KmsKeySet"))
    bare_cert = etree.tostring(etree.fromstring(init).find(f".//{{{provxml.NS}}}KmsCertificate"))
    return [
        with_mode(0, request_full), with_mode(0, request_min),
        with_mode(1, init), with_mode(1, certcache), with_mode(1, error), with_mode(2, keyprov_hex),
        with_mode(3, keyprov_b64),
        with_mode(4, keyprov_hex), with_mode(4, bare_key_set), with_mode(4, bare_cert),
        with_mode(5, request_full), with_mode(6, request_min), with_mode(6, b""), with_mode(7, request_full),
    ]


def _request(data: bytes) -> None:
    try:
        message = provxml.parse_request(data)
    except XmlError:
        return
    assert isinstance(message.user_uri, str) and isinstance(message.kms_uri, str)


def _response(user_id_format: str):
    def run(data: bytes) -> None:
        try:
            answer = provxml.parse_response(data, user_id_format)
        except XmlError:
            return
        assert answer.time.tzinfo is not None
        for key_set in answer.key_sets:
            repr(key_set)
    return run


def _key_material(data: bytes) -> None:
    try:
        provxml.parse_key_material(data)
    except XmlError:
        pass


def _endpoint(path: str):
    def run(data: bytes) -> None:
        handler = {provxml.INIT_PATH: service().init, provxml.KEYPROV_PATH: service().keyprov,
                   provxml.CERTCACHE_PATH: service().certcache}[path]
        check_answer(handler(request(path, data)), provxml.parse_response, STATUS_OF_CODE)
    return run


MODES = (_request, *(_response(f) for f in USER_ID_FORMATS), _key_material, *(_endpoint(p) for p in ENDPOINTS))


def one_input(data: bytes) -> None:
    mode, rest = mode_split(data, len(MODES))
    MODES[mode](rest)


HARNESS = Harness(
    name="kms_provxml",
    decoder="mcsec.impl.kms.provxml parse_request, parse_response (auto, hex, base64 UserID), "
            "parse_key_material; ProvisioningService init, keyprov and certcache answers",
    one_input=one_input,
    seeds=seeds,
    mutate=moded_mutator([None] * len(MODES), mixed(lambda d, r: xml_mutation(d, r, NAMES), bytes_mutator(TOKENS))),
    tokens=TOKENS,
)
