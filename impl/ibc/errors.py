"""Exception types of the identity-based cryptography primitives (ECCSI, SAKKE, UID)."""
from __future__ import annotations


class IbcError(Exception):
    """Base class of every error raised by ``mcsec.impl.ibc`` crypto primitives."""


class InvalidPointError(IbcError):
    """A received point is malformed, not on the curve, or the point at infinity."""


class InvalidScalarError(IbcError):
    """A received or supplied scalar is outside its permitted range."""


class InvalidSignatureError(IbcError):
    """An ECCSI signature does not verify."""


class KeyValidationError(IbcError):
    """Key material issued by a KMS (SSK/PVT or RSK) fails its validation check."""


class DecapsulationError(IbcError):
    """A SAKKE Encapsulated Data (SED) cannot be decapsulated to a verified SSV."""


class KeyPeriodError(IbcError):
    """Key-period parameters or times are out of range."""
