"""Exception types of the MIKEY-SAKKE codec and I_MESSAGE processing.

Every error derives from :class:`MikeyError`. Decoding errors derive from
:class:`MikeyDecodeError`; errors found while processing a well-formed message
(signature, identities, freshness, decryption) derive from
:class:`MikeyProcessingError`.
"""
from __future__ import annotations


class MikeyError(Exception):
    """Base class of all MIKEY errors."""


# -- decoding (the message is not well formed) ------------------------------------------------


class MikeyDecodeError(MikeyError):
    """The octets are not a well-formed MIKEY-SAKKE I_MESSAGE."""


class TruncatedMessageError(MikeyDecodeError):
    """The message ends inside a payload (a length points past the end)."""


class LengthMismatchError(MikeyDecodeError):
    """Declared lengths contradict each other or the field they describe."""


class TrailingBytesError(MikeyDecodeError):
    """Octets follow the last payload."""


class UnknownPayloadError(MikeyDecodeError):
    """A next-payload field names a payload type this codec does not know."""


class DuplicatePayloadError(MikeyDecodeError):
    """A payload that may occur once (T, RAND, SAKKE, SP, an IDR role) occurs twice."""


class MissingPayloadError(MikeyDecodeError):
    """A mandatory payload (T, RAND, SAKKE, SIGN) is absent."""


class UnsupportedValueError(MikeyDecodeError):
    """A field holds a value outside what the profile allows (version, data type, ...)."""


# -- processing (well formed, but refused) ---------------------------------------------------


class MikeyProcessingError(MikeyError):
    """A well-formed I_MESSAGE is refused."""


class BadSignatureError(MikeyProcessingError):
    """The ECCSI signature does not verify for the initiator identity and KPAK."""


class WrongInitiatorError(MikeyProcessingError):
    """The initiator identity in the message is not the one expected."""


class WrongResponderError(MikeyProcessingError):
    """The message is addressed to a different responder identity."""


class WrongKmsError(MikeyProcessingError):
    """The message names a KMS whose certificate the receiver does not hold."""


class DecryptionError(MikeyProcessingError):
    """The SAKKE payload does not decapsulate to a verified key."""


class StaleTimestampError(MikeyProcessingError):
    """The T payload lies outside the accepted time window."""


class ReplayError(MikeyProcessingError):
    """The RAND value was already seen within the window."""


class KeyPurposeError(MikeyProcessingError):
    """The key ID's purpose tag is unknown or not the one expected."""


class KeyMaterialError(MikeyProcessingError):
    """The receiver's own key material (KMS certificate, key set) is unusable."""


class GukIdMismatchError(MikeyProcessingError):
    """A GMK I_MESSAGE's MKI names another GMK-ID or GUK-ID than its CSB ID and its GMK give."""
