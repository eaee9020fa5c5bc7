"""KMS XML inputs the fuzz harnesses found: each refused with an XmlError."""
from __future__ import annotations

import pytest

from mcsec.impl.kms import cekxml
from mcsec.impl.kms.xmlparse import XmlError
from tests.fuzz import kms_cekxml

SCHEMA_VALID_BUT_UNREPRESENTABLE = ["10000-01-01T00:00:00Z", "2026-01-01T24:00:00Z", "-0001-01-01T00:00:00Z"]


@pytest.mark.parametrize("when", SCHEMA_VALID_BUT_UNREPRESENTABLE)
@pytest.mark.parametrize("element", ["Time", "ValidFrom", "ValidTo"])
def test_a_cek_answer_with_a_time_datetime_cannot_hold_is_refused(element, when):
    seed = next(s for s in kms_cekxml.seeds() if s[0] == 1 and b"KmsCek" in s)[1:]
    start = seed.index(f"<{element}>".encode()) + len(element) + 2
    end = seed.index(f"</{element}>".encode())
    document = seed[:start] + when.encode() + seed[end:]
    with pytest.raises(XmlError, match="outside the range"):
        cekxml.parse_response(document)
    kms_cekxml.HARNESS.one_input(bytes([1]) + document)
