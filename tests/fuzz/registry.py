"""The harnesses, in the order ``make fuzz`` runs them, with the packages atheris instruments for
coverage feedback in each (the decoder and what it builds on; never the harness itself)."""
from __future__ import annotations

import importlib

from tests.fuzz.harness import Harness

HARNESSES: dict[str, tuple[str, ...]] = {
    "sip_message": ("mcsec.impl.sip",),
    "sip_framing": ("mcsec.impl.sip",),
    "sip_multipart": ("mcsec.impl.sip",),
    "sip_header_values": ("mcsec.impl.sip",),
    "mcptt_body": ("mcsec.impl.mcptt", "mcsec.impl.smime", "mcsec.impl.sip.multipart", "mcsec.impl.sip.parser"),
    "smime_cms": ("mcsec.impl.smime", "asn1crypto"),
    "smime_mime": ("mcsec.impl.smime",),
    "mikey_decode": ("mcsec.impl.ibc.mikey_codec", "mcsec.impl.ibc.mikey_payloads", "mcsec.impl.ibc.mikey"),
    # the elliptic-curve and pairing arithmetic stays uninstrumented: it is the cost, not the parsing
    "mikey_process": ("mcsec.impl.ibc.mikey", "mcsec.impl.ibc.mikey_codec", "mcsec.impl.ibc.mikey_payloads",
                      "mcsec.impl.ibc.uid", "mcsec.impl.ibc.freshness", "mcsec.impl.ibc.key_material"),
    "kms_cekxml": ("mcsec.impl.kms",),
    "kms_provxml": ("mcsec.impl.kms", "mcsec.impl.ibc.key_material"),
    "kms_tokens": ("mcsec.impl.kms.tokens", "jwt"),
    "idm_endpoints": ("mcsec.impl.idm", "mcsec.impl.httpserver"),
}


def load(name: str) -> Harness:
    if name not in HARNESSES:
        raise KeyError(f"no harness {name!r}; known: {', '.join(HARNESSES)}")
    return importlib.import_module(f"tests.fuzz.{name}").HARNESS
