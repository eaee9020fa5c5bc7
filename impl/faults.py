"""Named deliberate deviations of the reference implementation.

Every fault is off by default. The lab switches faults on per run (profile
item `[lab] faults`, or the environment variable MCSEC_FAULTS, comma
separated) and passes them to the role that owns them. A self-test runs the
suite with each fault on and requires that a scenario citing one of the
fault's requirements fails: that is how the suite proves it can fail.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Fault:
    name: str
    role: str
    description: str
    requirements: tuple[str, ...]
    unit_proof: str = ""  # set when no scenario can observe the fault: the unit test that catches it instead
    ics: tuple[tuple[str, bool], ...] = ()  # ICS switches the fault shows under (mcsec run --ics ITEM=VALUE)


# the HTTP framing defect both HTTPS roles can have (impl/httpserver.py lax_framing)
_LAX_FRAMING = ("takes the first of several Content-Length headers or list members and ignores "
                "Transfer-Encoding: chunked, so the rest of the stream is read as a next request")

_ALL: tuple[Fault, ...] = (
    # --- KMS: access-token checks -------------------------------------------------
    Fault("kms_accept_alg_none", "kms", "accepts an unsigned token (alg none)", ("R713-KM-SIG", "R714-KM-SIG")),
    Fault("kms_skip_signature_check", "kms", "accepts any ES256 signature without verifying it",
          ("R713-KM-SIG", "R714-KM-SIG")),
    Fault("kms_accept_hmac_public_key", "kms",
          "accepts HS256 tokens keyed with the IdM's public key (algorithm confusion)", ("R713-KM-SIG", "R714-KM-SIG")),
    Fault("kms_accept_unknown_kid", "kms", "accepts a token whose kid is not in the IdM JWKS without verifying it",
          ("R713-KM-SIG", "R714-KM-SIG")),
    Fault("kms_accept_expired", "kms", "does not check exp", ("R713-KM-CLAIMS", "R714-KM-CLAIMS")),
    Fault("kms_ignore_nbf", "kms", "does not check nbf", ("R713-KM-CLAIMS", "R714-KM-CLAIMS")),
    Fault("kms_accept_malformed_time_claims", "kms",
          "takes exp, iat and nbf as whatever float() makes of them (strings, NaN, Infinity: a token that never "
          "expires) and accepts an iat in the future", ("R713-KM-CLAIMS", "R714-KM-CLAIMS")),
    Fault("kms_ignore_audience", "kms", "does not check aud", ("R713-KM-CLAIMS", "R714-KM-CLAIMS")),
    Fault("kms_ignore_issuer", "kms", "does not check iss", ("R713-KM-CLAIMS", "R714-KM-CLAIMS")),
    Fault("kms_ignore_scope", "kms", "does not require the key management scope",
          ("R713-KM-SCOPE", "R714-KM-CLAIMS")),
    Fault("kms_ignore_subject", "kms", "gives keys for a user other than the token's subject", ("R713-KM-SUBJECT",)),
    # --- KMS: near misses of the access-token checks (docs/near-miss.md) -----------
    Fault("kms_audience_in_check", "kms",
          "checks aud with Python's `in`: any aud containing the KMS's audience passes (a substring of a string, "
          "a key of an object)", ("R713-KM-CLAIMS", "R714-KM-CLAIMS")),
    Fault("kms_audience_case_insensitive", "kms", "compares aud with the KMS's audience ignoring case",
          ("R713-KM-CLAIMS", "R714-KM-CLAIMS")),
    Fault("kms_audience_string_only", "kms",
          "refuses aud as a list even when it holds the KMS's audience (RFC 7519 4.1.3 allows an array)",
          ("R713-KM-CLAIMS", "R714-KM-CLAIMS")),
    Fault("kms_audience_list_unchecked", "kms", "compares aud only when it is a string: any list of strings passes",
          ("R713-KM-CLAIMS", "R714-KM-CLAIMS")),
    Fault("kms_issuer_startswith", "kms", "takes any iss that begins with the IdM's issuer identifier",
          ("R713-KM-CLAIMS", "R714-KM-CLAIMS")),
    Fault("kms_issuer_normalised", "kms",
          "compares iss with the issuer identifier ignoring case and a trailing slash (RFC 7519 compares exactly)",
          ("R713-KM-CLAIMS", "R714-KM-CLAIMS")),
    Fault("kms_scope_substring", "kms",
          "looks for the key management scope with Python's `in` on the scope claim: a substring of a string, "
          "a member of a list", ("R713-KM-SCOPE", "R714-KM-CLAIMS")),
    Fault("kms_scope_case_insensitive", "kms", "compares scope tokens ignoring case (RFC 6749 3.3: case-sensitive)",
          ("R713-KM-SCOPE", "R714-KM-CLAIMS")),
    Fault("kms_identity_case_insensitive", "kms",
          "compares the token's identity (a user's mcptt_id, a server's sub) with the request's UserUri ignoring "
          "case", ("R713-KM-SUBJECT", "R713-EN-SERVER")),
    Fault("kms_identity_prefix_match", "kms",
          "takes a request whose UserUri begins with the token's identity (a user's mcptt_id, a server's sub), "
          "meant to let URI parameters through", ("R713-KM-SUBJECT", "R713-EN-SERVER")),
    Fault("kms_identity_token_parameters", "kms",
          "takes a token whose identity (a user's mcptt_id, a server's sub) begins with the request's UserUri, "
          "meant to let URI parameters in the token through", ("R713-KM-SUBJECT", "R713-EN-SERVER")),
    Fault("kms_no_leeway", "kms",
          "checks exp and nbf with no leeway, whatever leeway the KMS declares", ("R713-KM-CLAIMS", "R714-KM-CLAIMS")),
    Fault("kms_leeway_doubled", "kms", "applies the leeway twice to exp and nbf", ("R713-KM-CLAIMS", "R714-KM-CLAIMS")),
    Fault("kms_binding_checked_once", "kms",
          "checks a CEK's server binding on its first fetch only: a Key ID once delivered goes to any MCPTT server",
          ("R713-EN-SERVER",)),
    Fault("kms_server_acts_for_users", "kms",
          "takes an MCPTT server's token (no mcptt_id) at the CEK issue endpoint as a service acting for the user "
          "its request names", ("R713-KM-SUBJECT",)),
    Fault("kms_prov_server_acts_for_users", "kms",
          "provisions the key set of any user to an MCPTT server's token", ("R714-KM-SUBJECT",)),
    Fault("kms_no_token_required", "kms", "serves requests that carry no access token", ("R713-KM-TOKEN",)),
    Fault("kms_lax_http_framing", "kms", _LAX_FRAMING, ("RHTTP-FRAMING",)),
    # --- KMS: 7.13 CEK service ----------------------------------------------------
    Fault("kms_ignore_server_binding", "kms", "hands a CEK to any MCPTT server that asks for its Key ID",
          ("R713-EN-SERVER",)),
    Fault("kms_reuse_key_ids", "kms", "draws Key IDs from a tiny space, so they repeat", ("R713-KEYID-UNIQUE",)),
    Fault("kms_counter_key_ids", "kms", "draws the 28 low bits of its Key IDs from a counter (no permutation)",
          ("R713-KEYID-UNPREDICTABLE",)),
    Fault("kms_wrong_purpose_tag", "kms", "issues Key IDs without the CEK purpose tag", ("R713-KEYID-UNIQUE",)),
    Fault("kms_answer_unknown_key_id", "kms", "answers a fetch for an unknown Key ID with a fresh key",
          ("R713-EN-REJECT-UNKNOWN",)),
    Fault("kms_cek_to_client_only", "kms", "never makes an issued CEK available to the MCPTT server",
          ("R713-KM-DIST-SERVER",)),
    Fault("kms_keep_expired_ceks", "kms", "never drops the record of a CEK whose validity has ended",
          ("R713-KMS-ADMIN",), unit_proof="tests/unit/kms/test_cek_xml_and_store.py: the store drops expired records"),
    # --- IdM -------------------------------------------------------------------------
    Fault("idm_lax_http_framing", "idm", _LAX_FRAMING, ("RHTTP-FRAMING",)),
    Fault("idm_test_control_unpublished_key", "idm",
          "the test control surface signs with a key of its own that the JWKS does not publish, under the "
          "published key's kid", ("ROIDC-TEST-CONTROL",)),
    Fault("idm_test_control_open", "idm",
          "mints test tokens for anyone who reaches the test control surface, without its secret",
          ("ROIDC-TEST-CONTROL",)),
    Fault("idm_unbounded_json", "idm",
          "parses test control request bodies with no bound on nesting, so a deep one fails with HTTP 500",
          ("RHTTP-ROBUST",)),
    # --- IdM: sign-in, the code grant with PKCE, client credentials (RFC 6749, RFC 7636) ---------
    Fault("idm_accept_any_password", "idm", "signs a known user in whatever password the login form carries",
          ("ROIDC-USER-AUTHN",)),
    Fault("idm_shared_principals", "idm",
          "keeps users and server principals in one table: the login form signs a server principal in with its "
          "client_id and secret, the client credentials grant takes a user's name and password",
          ("ROIDC-USER-AUTHN", "ROIDC-CLIENT-AUTH")),
    Fault("idm_accept_unknown_client", "idm",
          "takes any client_id at the authorization endpoint whose redirect_uri is registered for some public "
          "client", ("ROIDC-CLIENT-ID",)),
    Fault("idm_redirect_prefix_match", "idm",
          "takes at the authorization endpoint any redirect_uri that begins, ignoring case, with a registered one",
          ("ROIDC-REDIRECT-AUTHZ",)),
    Fault("idm_token_ignore_redirect_uri", "idm",
          "does not compare the token request's redirect_uri with the authorization request's",
          ("ROIDC-REDIRECT-TOKEN",)),
    Fault("idm_skip_pkce", "idm", "redeems a code without checking the PKCE code_verifier (wrong or missing)",
          ("ROIDC-PKCE-VERIFY",)),
    Fault("idm_code_reusable", "idm", "lets an authorization code be redeemed again until it expires",
          ("ROIDC-CODE-ONCE",)),
    Fault("idm_ignore_client_secret", "idm",
          "grants client credentials to a known server client_id whatever secret comes with it",
          ("ROIDC-CLIENT-AUTH",)),
    Fault("idm_client_id_without_secret", "idm",
          "grants client credentials to a known server client_id named in the form with no secret at all",
          ("ROIDC-CLIENT-AUTH",)),
    Fault("idm_token_response_cacheable", "idm",
          "answers tokens with Cache-Control: private, max-age (cacheable until they expire) instead of no-store",
          ("ROIDC-TOKEN-RESPONSE",)),
    # --- IdM: the KMS access token it issues (RFC 7519, RFC 7518) -------------------
    Fault("idm_sign_with_unpublished_key", "idm",
          "signs access tokens with a second key, under a kid its JWKS does not publish", ("ROIDC-AT-SIG",)),
    Fault("idm_wrong_audience", "idm", "puts the requesting client's client_id in aud instead of the KMS",
          ("ROIDC-AT-AUD",)),
    Fault("idm_wrong_issuer", "idm", "writes iss with a trailing slash its issuer identifier does not have",
          ("ROIDC-AT-ISS",)),
    Fault("idm_scope_without_kms", "idm", "leaves the key management scope out of the access token's scope claim",
          ("ROIDC-AT-SCOPE",)),
    Fault("idm_mcptt_id_off_by_one", "idm",
          "takes a user's MCPTT ID from the next entry of its user table (off by one)", ("R714-IDM-TOKEN",)),
    Fault("idm_lifetime_in_minutes", "idm",
          "reads the configured access token lifetime as minutes: exp lies 60 times too far ahead",
          ("ROIDC-AT-EXP",)),
    Fault("idm_clock_ahead", "idm", "stamps access tokens (iat, nbf, exp) from a clock ten minutes fast",
          ("ROIDC-AT-IAT", "ROIDC-AT-EXP")),
    # --- SIP core --------------------------------------------------------------------
    Fault("core_trust_client_identity", "core",
          "relays the P-Asserted-Identity a client supplies instead of asserting the registered IMPU",
          ("R713-EN-REJECT-PARTY",)),
    Fault("core_drop_malformed", "core", "drops malformed requests silently instead of answering them",
          ("RSIP-ROBUST",)),
    Fault("core_unbounded_trace", "core", "never rotates its SIP trace, which grows without bound",
          ("RSIP-ROBUST",), unit_proof="tests/unit/core/test_trace_and_log.py: trace and log rotate at the cap"),
    Fault("core_keep_idle_tcp", "core",
          "keeps idle TCP connections and ones holding an incomplete message for ever, with no cap per peer or "
          "overall", ("RSIP-TCP-LIMITS",)),
    Fault("core_answer_unanswerable", "core",
          "answers with a 400 what RFC 3261 drops (no To, no usable Via, not SIP, a response)", ("RSIP-ROBUST",)),
    # --- MCPTT client -----------------------------------------------------------------
    Fault("client_send_clear_body", "client", "sends mcptt-info in clear although protection is required",
          ("R713-POLICY", "R713-CONF-SIP1", "R713-CONF-SIP2", "R713-CONF-CORE")),
    Fault("client_wrong_key_id", "client", "names a Key ID in the CMS body other than the CEK's",
          ("R713-KEYID-SENT",)),
    # --- MCPTT server -----------------------------------------------------------------
    Fault("server_refuse_optional_clear", "server",
          "refuses a clear sensitive body although the service provider does not require protection",
          ("R713-POLICY",), ics=(("protection_required", False),)),
    Fault("server_accept_clear_body", "server", "accepts a clear sensitive body although protection is required",
          ("R713-POLICY", "R714-POLICY")),
    Fault("server_ignore_key_id", "server", "opens a body with the newest CEK it holds, whatever the Key ID",
          ("R713-KEYID-SELECT",)),
    Fault("server_cek_by_key_id_only", "server",
          "keeps its CEKs by Key ID alone, ignoring the KMS URI: a Key ID another KMS also issued names the CEK "
          "it fetched first", ("R713-EN-BIND", "R713-KEYID-SELECT"), ics=(("several_kms", True),)),
    Fault("server_trust_any_asserted_identity", "server",
          "trusts a P-Asserted-Identity from any sender, not only from the SIP core (RFC 3325 trust domain)",
          ("R713-EN-REJECT-PARTY", "R714-AS-BIND")),
    Fault("server_ignore_binding", "server", "does not check that the CEK belongs to the asserted sender",
          ("R713-EN-REJECT-PARTY",)),
    Fault("server_core_at_default_port", "server",
          "trusts a P-Asserted-Identity only from the SIP core's address at port 5060, so the core it is "
          "configured with, on another port, is not trusted and every relayed request is refused",
          ("R713-EN-REJECT-PARTY",)),
    Fault("server_identity_ignore_case", "server",
          "matches an asserted identity with the users it serves ignoring the case of the user part (RFC 3261 "
          "19.1.4 compares it case-sensitively)", ("R713-EN-REJECT-PARTY",)),
    Fault("server_unknown_identity_error", "server",
          "looks up the MCPTT ID of an asserted identity it does not serve without checking it exists: "
          "500 instead of a refusal", ("R713-EN-REJECT-PARTY",)),
    Fault("server_answer_clear", "server", "returns sensitive response bodies in clear",
          ("R713-SMIME-USE", "R713-CONF-SIP2")),
    Fault("server_no_replay_check", "server", "does not check the replay stamp of protected bodies",
          ("R713-SMIME-REPLAY",)),
    Fault("server_replay_ignores_time", "server",
          "accepts a protected body whose replay stamp's sending time is outside the replay window",
          ("R713-SMIME-REPLAY",), ics=(("replay_stamp", True),)),
    Fault("server_replay_stamp_optional", "server",
          "accepts a protected body without a replay stamp although it requires the stamp (ics.replay_stamp)",
          ("R713-SMIME-REPLAY",), ics=(("replay_stamp", True),)),
    Fault("server_replay_ignores_context", "server",
          "accepts a protected body whose replay stamp is bound to another SIP message",
          ("R713-SMIME-REPLAY",), ics=(("replay_stamp", True),)),
    Fault("server_accept_undecipherable", "server", "answers 200 to a body it could not open",
          ("RSIP-493", "R713-EN-REJECT-UNKNOWN")),
    Fault("server_drop_malformed", "server", "drops malformed requests silently instead of answering them",
          ("RSIP-ROBUST",)),
    Fault("server_answer_unanswerable", "server",
          "answers with a 400 what RFC 3261 drops (no To, no usable Via, not SIP, a response)", ("RSIP-ROBUST",)),
    Fault("server_keep_idle_tcp", "server",
          "keeps idle TCP connections and ones holding an incomplete message for ever, with no cap per peer or "
          "overall", ("RSIP-TCP-LIMITS",)),
    Fault("server_ignore_handling_required", "server",
          "ignores a required body of an unknown type instead of answering 415", ("RSIP-415",)),
    # --- KMS: 7.14 key provisioning (init, keyprov, certcache) ----------------------
    Fault("kms_prov_no_token_required", "kms", "provisions IBC key material to requests that carry no access token",
          ("R714-KM-TOKEN", "R714-KM-AUTH-FIRST")),
    Fault("kms_prov_ignore_subject", "kms", "provisions the key set of a user other than the token's",
          ("R714-KM-SUBJECT",)),
    Fault("kms_prov_ignore_body_user", "kms",
          "does not compare the user a KmsRequest body names with the token's: a keyprov request whose body names "
          "another user gets the key set its path names", ("R714-KM-SUBJECT",)),
    Fault("kms_prov_accept_expired", "kms", "provisions with an expired access token", ("R714-KM-CLAIMS",)),
    Fault("kms_prov_wrong_period", "kms", "ignores the requested time and provisions an expired key period",
          ("R714-KM-PROV",)),
    Fault("kms_prov_invalid_keys", "kms", "provisions an RSK and SSK that do not validate against the KMS certificate",
          ("R714-KM-PROV",)),
    Fault("kms_prov_no_client_req_url", "kms",
          "leaves ClientReqUrl out of its init, keyprov and certcache responses (TS 33.180 Table D.3.1-1 lists it)",
          ("R714-KM-PROV",)),
    # --- MCPTT server: 7.14 CSK upload (MIKEY-SAKKE I_MESSAGE) -----------------------
    Fault("server_accept_bad_signature", "server", "does not verify the ECCSI signature of an I_MESSAGE",
          ("R714-CEK-INT",)),
    Fault("server_ignore_responder", "server", "does not check that an I_MESSAGE is addressed to its own identity",
          ("R714-CEK-CONF",)),
    Fault("server_ignore_kms", "server", "does not check the KMS an I_MESSAGE names (IDRkmsi, IDRkmsr)",
          ("R714-CEK-CONF",)),
    Fault("server_ignore_key_period", "server",
          "takes an I_MESSAGE of an expired key period with its current key set", ("R714-CEK-CONF",),
          unit_proof="tests/unit/server/test_key_period_choice.py: a timestamp in an expired key period is "
                     "outside the freshness window too, which refuses it first"),
    Fault("server_accept_revoked", "server", "accepts an I_MESSAGE signed with a revoked key set", ("R714-CEK-INT",),
          ics=(("key_material_provisioning", True),)),
    Fault("server_no_mikey_replay_check", "server", "does not remember the RAND of accepted I_MESSAGEs",
          ("R714-AS-RETRIEVE",)),
    Fault("server_ignore_timestamp", "server", "accepts an I_MESSAGE whatever its timestamp", ("R714-AS-RETRIEVE",)),
    Fault("server_timestamp_window_doubled", "server",
          "accepts I_MESSAGE timestamps up to twice its window in the past and in the future", ("R714-AS-RETRIEVE",)),
    Fault("server_future_timestamp_unchecked", "server",
          "checks only the age of an I_MESSAGE timestamp: one any time ahead of its clock passes", ("R714-AS-RETRIEVE",)),
    Fault("server_timestamp_window_halved", "server",
          "accepts I_MESSAGE timestamps only up to half its declared window in the past and in the future (the "
          "declared window read as the width of the whole interval)", ("R714-AS-RETRIEVE",)),
    Fault("server_no_future_allowance", "server",
          "refuses an I_MESSAGE timestamped any time ahead of its own clock (no allowance for a client clock ahead)",
          ("R714-AS-RETRIEVE",)),
    Fault("server_ignore_purpose", "server", "accepts a key whose key ID carries another purpose tag than CSK",
          ("R714-AS-RETRIEVE",)),
    Fault("server_ignore_csk_binding", "server", "opens a body under a CSK for whoever sends it",
          ("R714-AS-BIND",)),
    Fault("server_csk_binding_checked_once", "server",
          "checks a CSK's binding on its first use only: once a body under it was opened, any sender may use it",
          ("R714-AS-BIND",)),
    Fault("server_trust_mikey_initiator", "server",
          "takes the initiator named in the I_MESSAGE without matching it to the asserted identity",
          ("R714-AS-BIND", "R714-CEK-INT")),
    Fault("server_skip_sakke_check", "server",
          "uses the SSV of a SAKKE payload without the RFC 6508 6.2.2 check", ("R714-CEK-CONF",)),
    Fault("server_accept_truncated_sign", "server",
          "takes an I_MESSAGE whose SIGN payload is cut short as unsigned and accepts it",
          ("R714-AS-RETRIEVE", "R714-CEK-INT")),
    Fault("server_csk_answer_clear", "server", "answers a body protected under a CSK with its mcptt-info in clear",
          ("R714-SMIME-USE", "R714-CONF-SIP2")),
    # --- MCPTT client: 7.14 key material and CSK ------------------------------------
    Fault("client_skip_key_validation", "client",
          "uses provisioned key material without validating the RSK, the SSK and the key period", ("R714-KM-PROV",)),
    Fault("client_wrong_purpose", "client", "creates its CSK with the GMK purpose tag (0) in the key ID",
          ("R714-CEK-CREATE",)),
    # --- MCPTT client: what it sends, what it takes, its CSKs (features/client) ------
    Fault("client_no_handling_required", "client",
          "sends its protected bodies (requests and answers) without Content-Disposition", ("RSIP-HANDLING",)),
    Fault("client_answer_clear", "client",
          "answers an incoming protected request with its mcptt-info in clear", ("R713-POLICY", "R713-SMIME-USE")),
    Fault("client_key_id_mismatch", "client",
          "names the Key ID of the CEK it was asked to use but seals under its newest CEK", ("R713-KEYID-SENT",)),
    Fault("client_accept_foreign_key_id", "client",
          "opens an answer under a Key ID it does not hold with the CEK of its request", ("R713-EN-CLIENT-KEYID",)),
    Fault("client_accept_unauthenticated_answer", "client",
          "takes a protected answer whose GCM authentication tag does not verify (decrypts it unauthenticated)",
          ("R713-RX-AUTH",)),
    Fault("client_accept_clear_answer", "client",
          "takes a clear mcptt-info from an answer although protection is required", ("R713-RX-CLEAR",)),
    Fault("client_accept_undecipherable_request", "client",
          "answers 200 to an incoming request whose protected body it cannot open", ("RSIP-493",)),
    Fault("client_reuse_csk", "client", "uploads the same CSK (under a new CSK-ID) every time", ("R714-CEK-CREATE",)),
    Fault("client_counter_csk_id", "client", "draws the 28 low bits of its CSK-IDs from a counter",
          ("R714-CSK-ID-RANDOM",)),
    Fault("client_mikey_v_bit", "client", "sets the V bit in the HDR of its CSK I_MESSAGE", ("R714-IMSG-FORMAT",)),
    Fault("client_sign_without_sign_header", "client",
          "ECCSI-signs its I_MESSAGE without the SIGN payload's type and length octets", ("R714-CEK-INT",)),
    Fault("client_sakke_to_self", "client", "SAKKE-encapsulates the CSK to its own UID instead of the server's",
          ("R714-CEK-CONF",)),
    Fault("client_old_timestamp", "client", "timestamps its I_MESSAGE four minutes in the past",
          ("R714-IMSG-TIME",)),
    Fault("client_token_on_sip", "client",
          "carries its KMS access token in the mcptt-info it sends (mcptt-access-token element)",
          ("R713-TOKEN-KMS-ONLY", "R714-TOKEN-KMS-ONLY")),
)

REGISTRY: dict[str, Fault] = {f.name: f for f in _ALL}


class UnknownFault(ValueError):
    pass


class Faults:
    """The set of faults switched on for one role process."""

    def __init__(self, names: list[str] | tuple[str, ...] | None = None, role: str | None = None):
        names = list(names or [])
        unknown = [n for n in names if n not in REGISTRY]
        if unknown:
            raise UnknownFault(f"unknown fault(s): {', '.join(unknown)}; known: {', '.join(sorted(REGISTRY))}")
        self._on = frozenset(n for n in names if role is None or REGISTRY[n].role == role)

    def __contains__(self, name: str) -> bool:
        if name not in REGISTRY:
            raise UnknownFault(f"unknown fault: {name}")
        return name in self._on

    def names(self) -> list[str]:
        return sorted(self._on)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Faults) and self._on == other._on

    def __hash__(self) -> int:
        return hash(self._on)

    def __repr__(self) -> str:
        return f"Faults({self.names()!r})"


def for_role(role: str) -> list[Fault]:
    return [f for f in _ALL if f.role == role]


def parse_list(text: str | None) -> list[str]:
    """Split a comma-separated list (MCSEC_FAULTS) into validated fault names."""
    names = [n.strip() for n in (text or "").split(",") if n.strip()]
    Faults(names)  # validates
    return names


# Scenarios no named fault makes fail, each with why. The kill matrix fails on any other scenario that no
# fault makes fail; these it lists apart (kill_matrix.json "unkilled_explained"), so the gap stays in view.
UNKILLED_EXPLAINED: dict[str, str] = {
    "MCSEC-713-NM-001.8": "the reference KMS reads claims strictly: a number as aud is refused before any compare; "
                          "no realistic single-decision fault lets it through",
    "MCSEC-713-NM-001.9": "as MCSEC-713-NM-001.8 (aud null)",
    "MCSEC-713-NM-003.6": "as MCSEC-713-NM-001.8 (iss of the wrong JSON type)",
    "MCSEC-713-NM-003.7": "as MCSEC-713-NM-001.8 (iss an object)",
    "MCSEC-713-NM-003.8": "as MCSEC-713-NM-001.8 (iss null)",
    "MCSEC-713-NM-005.5": "as MCSEC-713-NM-001.8 (mcptt_id of the wrong JSON type)",
    "MCSEC-714-REF-001.5": "refused by independent checks (the KMS named, the signature, the decapsulation): no "
                           "single-check fault lets it through; server_ignore_kms is caught by REF-001.9/.10",
    "MCSEC-714-REF-001.6": "a timestamp of an expired key period is outside the freshness window too; "
                           "server_ignore_key_period is proved by tests/unit/server/test_key_period_choice.py",
}
