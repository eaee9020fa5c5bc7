"""Object identifiers used by the S/MIME body profile."""
from __future__ import annotations

# RFC 5652 section 4: the data content type.
ID_DATA = "1.2.840.113549.1.7.1"
# RFC 5652 section 6: enveloped-data (recognised only to refuse it clearly).
ID_ENVELOPED_DATA = "1.2.840.113549.1.7.3"
# RFC 5083 section 1: id-ct-authEnvelopedData.
ID_CT_AUTH_ENVELOPED_DATA = "1.2.840.113549.1.9.16.1.23"
# RFC 5084 section 3.2: id-aes128-GCM.
ID_AES128_GCM = "2.16.840.1.101.3.4.1.6"
# RFC 3565 section 2.3.2 / RFC 3394: id-aes128-wrap.
ID_AES128_WRAP = "2.16.840.1.101.3.4.1.5"
# RFC 5652 section 11.1: content-type attribute.
ID_CONTENT_TYPE_ATTR = "1.2.840.113549.1.9.3"

# Project arc: a UUID-derived OID (ITU-T X.667, arc 2.25), which needs no
# registration. UUID 86c42e02-1a18-41a3-9870-2d4b7a46548b.
ID_MCSEC = "2.25.179135174776825580636321022840727295115"
ID_MCSEC_ATTRIBUTES = ID_MCSEC + ".1"
# The replay stamp authenticated attribute (see docs/smime.md).
ID_MCSEC_REPLAY_STAMP = ID_MCSEC_ATTRIBUTES + ".1"
