"""The MIME forms of a protected body (impl/smime/mime.py).

The first octet chooses what the rest is:

0. a body in any exchanged form (DER, a MIME entity binary or base64, base64 or PEM text):
   ``load_any``, then ``open``;
1. a stand-alone MIME entity: ``parse_entity``, ``entity_to_der``;
2. a Content-Type or Content-Disposition value: ``parse_header_value``, ``check_content_type``,
   ``is_protected``, ``handling_required``;
3. a Content-Type line, a transfer-encoding line and a body: ``body_to_der``.

Every refusal must be an :class:`SmimeError`.
"""
from __future__ import annotations

import mcsec.impl.smime as smime
from mcsec.impl.smime import mime
from tests.fuzz.harness import Harness, mode_split, moded_mutator, with_mode
from tests.fuzz.mutators import bytes_mutator, header_mutation, mixed
from tests.fuzz.smime_cms import CEK, KEY_ID, _lookup

NAMES = [b"Content-Type", b"Content-Transfer-Encoding", b"Content-Disposition", b"MIME-Version", b"x y", b""]
VALUES = [mime.CONTENT_TYPE.encode(), mime.CONTENT_DISPOSITION.encode(), b"base64", b"binary", b"8bit",
          b"quoted-printable", b"application/x-pkcs7-mime", b'a/b; c="\\', b"a/b;;", b"a/b; c=d; c=e", b""]
TOKENS = tuple(VALUES) + (b"\r\n", b"\n\n", b"-----BEGIN PKCS7-----\n", b"-----END PKCS7-----", b"=", b"==",
                          b'"', b";", b"\\", b"/")


def seeds() -> list[bytes]:
    der = smime.seal(b"Content-Type: text/plain\r\n\r\nx", cek=CEK, key_id=KEY_ID)
    entity = mime.wrap(der).to_bytes()
    entity64 = mime.wrap(der, base64_body=True).to_bytes()
    pem = b"-----BEGIN PKCS7-----\n" + mime.encode_base64(der) + b"-----END PKCS7-----\n"
    return [
        with_mode(0, der), with_mode(0, entity64), with_mode(0, pem), with_mode(0, b"\r\n" + entity),
        with_mode(1, entity), with_mode(1, entity64.replace(b"\r\n", b"\n")),
        with_mode(2, mime.CONTENT_TYPE.encode()), with_mode(2, b'attachment; handling="optional"; x="a\\"b"'),
        with_mode(3, mime.CONTENT_TYPE.encode() + b"\nbase64\n" + mime.encode_base64(der)),
        with_mode(3, b"application/x-pkcs7-mime\n\n" + der),
    ]


def _any(data: bytes) -> None:
    try:
        smime.open(mime.load_any(data), key_lookup=_lookup)
    except smime.SmimeError:
        pass


def _entity(data: bytes) -> None:
    try:
        entity = mime.parse_entity(data)
    except smime.SmimeError:
        return
    entity.header("Content-Type")
    try:
        mime.entity_to_der(entity)
    except smime.SmimeError:
        pass


def _header_value(data: bytes) -> None:
    text = data.decode("latin-1")
    try:
        value = mime.parse_header_value(text)
        value.param("smime-type")
    except smime.SmimeError:
        pass
    try:
        mime.check_content_type(text)
    except smime.SmimeError:
        pass
    assert mime.is_protected(text) in (True, False)
    try:
        assert mime.handling_required(text) in (True, False)
    except smime.SmimeError:
        pass


def _body(data: bytes) -> None:
    content_type, _, rest = data.partition(b"\n")
    encoding, _, body = rest.partition(b"\n")
    try:
        mime.body_to_der(body, content_type=content_type.decode("latin-1"),
                         content_transfer_encoding=encoding.decode("latin-1") or None)
    except smime.SmimeError:
        pass


def one_input(data: bytes) -> None:
    mode, rest = mode_split(data, 4)
    (_any, _entity, _header_value, _body)[mode](rest)


def _entity_mutation(data, rng):
    return header_mutation(data, rng, NAMES, VALUES)


HARNESS = Harness(
    name="smime_mime",
    decoder="mcsec.impl.smime.mime load_any, parse_entity, entity_to_der, parse_header_value, "
            "check_content_type, handling_required, body_to_der, decode_base64",
    one_input=one_input,
    seeds=seeds,
    mutate=moded_mutator([None, _entity_mutation, None, None], mixed(_entity_mutation, bytes_mutator(TOKENS))),
    tokens=TOKENS,
)
