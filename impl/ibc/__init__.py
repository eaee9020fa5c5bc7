"""Identity-based cryptography for MIKEY-SAKKE: ECCSI (RFC 6507), SAKKE (RFC 6508,
parameter set 1), TS 33.180 UIDs and key periods, and the I_MESSAGE codec (RFC 6509).

Modules: ``eccsi``, ``sakke`` (with ``pairing`` and ``weierstrass`` beneath),
``uid``, ``mikey`` (high-level build/process) over ``mikey_codec`` and
``mikey_payloads``, ``guk`` (GUK-ID and GMK-ID), ``freshness``, ``key_material``;
errors in ``errors`` and ``mikey_errors``. The big-integer backend (gmpy2 or int) is chosen in ``bigint``.
"""
