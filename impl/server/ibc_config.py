"""The ``"ibc"`` item of the MCPTT server configuration (clause 7.14: CSK upload with MIKEY-SAKKE).

Every key is optional:

    "ibc": {"identity": "sip:mcptt-as@example.org",      # the server's IBC identity (default: its URI)
            "user_id_format": "hex",                     # how the KMS writes UserID: hex, base64, auto
            "freshness_window_s": 300,                   # accepted age of an I_MESSAGE timestamp
            "max_future_s": 300,                         # how far ahead of the clock (default: the window)
            "replay_cache_size": 4096,                   # RANDs remembered
            "revoked": [{"user_uri": "sip:bob@example.org", "key_period_no": 1545}],
            "key_material": null}                        # or {"kms_init": {...}, "key_sets": [{...}]}

``key_material`` provisions the server statically (the Annex D field names of the KMS certificate
and key sets, as in fixtures/vectors/mikey-sakke-vectors.json) instead of asking the KMS: such a
server holds exactly the key periods it was given. ``revoked`` lists initiator key sets (MCPTT ID
and key period) whose signatures the server refuses.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from mcsec.impl.ibc.key_material import KmsCertificate, UserKeySet
from mcsec.impl.ibc.mikey_errors import KeyMaterialError
from mcsec.impl.rolemain import ConfigError

USER_ID_FORMATS = ("hex", "base64", "auto")
DEFAULT_WINDOW_S = 300.0
_KNOWN = {"identity", "user_id_format", "freshness_window_s", "max_future_s", "replay_cache_size", "revoked",
          "key_material"}
_WHERE = "server configuration: 'ibc"


@dataclass(frozen=True)
class StaticKeyMaterial:
    """Key material given in the configuration: one KMS certificate and the server's key sets."""

    certificate: KmsCertificate
    key_sets: tuple[UserKeySet, ...] = field(repr=False)
    source: dict = field(default_factory=dict, repr=False, compare=False)  # the configuration item as given


@dataclass(frozen=True)
class IbcSettings:
    identity: str | None = None
    user_id_format: str = "hex"
    freshness_window_s: float = DEFAULT_WINDOW_S
    max_future_s: float | None = None
    replay_cache_size: int = 4096
    revoked: frozenset[tuple[str, int]] = frozenset()
    key_material: StaticKeyMaterial | None = None

    def is_revoked(self, user_uri: str, key_period_no: int) -> bool:
        return (user_uri, key_period_no) in self.revoked

    def to_json(self) -> dict:
        """The ``"ibc"`` item that :func:`parse` reads back as these settings."""
        out: dict = {"user_id_format": self.user_id_format, "freshness_window_s": self.freshness_window_s,
                     "replay_cache_size": self.replay_cache_size,
                     "revoked": [{"user_uri": u, "key_period_no": n} for u, n in sorted(self.revoked)]}
        if self.identity is not None:
            out["identity"] = self.identity
        if self.max_future_s is not None:
            out["max_future_s"] = self.max_future_s
        if self.key_material is not None:
            out["key_material"] = self.key_material.source
        return out


def _positive(table: dict, key: str, default: float | None) -> float | None:
    value = table.get(key, default)
    if value is None:
        return None
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
        raise ConfigError(f"{_WHERE}.{key}' must be a positive number")
    return float(value)


def _revoked(value: object) -> frozenset[tuple[str, int]]:
    if not isinstance(value, list):
        raise ConfigError(f"{_WHERE}.revoked' must be a list")
    out = set()
    for i, entry in enumerate(value):
        uri, number = (entry.get("user_uri"), entry.get("key_period_no")) if isinstance(entry, dict) else \
            (tuple(entry) if isinstance(entry, list) and len(entry) == 2 else (None, None))
        if not isinstance(uri, str) or not uri or isinstance(number, bool) or not isinstance(number, int) \
                or number < 0:
            raise ConfigError(f"{_WHERE}.revoked[{i}]' must be {{\"user_uri\": str, \"key_period_no\": int}}")
        out.add((uri, number))
    return frozenset(out)


def _key_material(value: object, user_id_format: str) -> StaticKeyMaterial | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("kms_init"), dict) \
            or not isinstance(value.get("key_sets"), list) or not value["key_sets"]:
        raise ConfigError(f"{_WHERE}.key_material' must be {{\"kms_init\": {{...}}, \"key_sets\": [{{...}}, ...]}}")
    try:
        cert = KmsCertificate.from_mapping(value["kms_init"])
        key_sets = tuple(UserKeySet.from_mapping(k, user_id_format=user_id_format) for k in value["key_sets"])
        for key_set in key_sets:
            key_set.validate(cert)
    except KeyMaterialError as exc:
        raise ConfigError(f"{_WHERE}.key_material': {exc}") from None
    return StaticKeyMaterial(cert, key_sets, value)


def parse(value: object) -> IbcSettings:
    """The ``"ibc"`` item (absent or null: every default)."""
    table = {} if value is None else value
    if not isinstance(table, dict):
        raise ConfigError(f"{_WHERE}' must be an object")
    unknown = sorted(set(table) - _KNOWN)
    if unknown:
        raise ConfigError(f"{_WHERE}.{unknown[0]}' is not a known item (known: {', '.join(sorted(_KNOWN))})")
    identity = table.get("identity")
    if identity is not None and (not isinstance(identity, str) or not identity):
        raise ConfigError(f"{_WHERE}.identity' must be a non-empty string")
    fmt = table.get("user_id_format", "hex")
    if fmt not in USER_ID_FORMATS:
        raise ConfigError(f"{_WHERE}.user_id_format' must be one of {', '.join(USER_ID_FORMATS)}")
    cache = table.get("replay_cache_size", 4096)
    if not isinstance(cache, int) or isinstance(cache, bool) or cache <= 0:
        raise ConfigError(f"{_WHERE}.replay_cache_size' must be a positive integer")
    return IbcSettings(
        identity=identity, user_id_format=fmt,
        freshness_window_s=_positive(table, "freshness_window_s", DEFAULT_WINDOW_S) or DEFAULT_WINDOW_S,
        max_future_s=_positive(table, "max_future_s", None), replay_cache_size=cache,
        revoked=_revoked(table.get("revoked", [])),
        key_material=_key_material(table.get("key_material"), fmt),
    )
