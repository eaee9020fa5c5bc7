"""The files `mcsec mutate` mutates by default: the reference roles' decision code, each with the role it
is served as (the role whose scenarios judge it)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    file: str      # under the mcsec package, subpackage folder first (mutation/tree.py)
    role: str      # the role served as the implementation under test with this file mutated
    what: str


DEFAULT_TARGETS: tuple[Target, ...] = (
    Target("impl/kms/tokens.py", "kms", "KMS: access token checks (signature, algorithm, claims, audience)"),
    Target("impl/kms/cekstore.py", "kms", "KMS: CEK store (who may fetch which CEK)"),
    Target("impl/kms/provservice.py", "kms", "KMS: key provisioning (MIKEY-SAKKE key material requests)"),
    Target("impl/server/uas.py", "server", "MCPTT server: request policy (protection, sender, key id)"),
    Target("impl/server/csk_upload.py", "server", "MCPTT server: CSK upload checks (MIKEY-SAKKE I_MESSAGE)"),
    Target("impl/smime/replay_guard.py", "server", "replay guard of protected SIP bodies"),
    Target("impl/core/registrar.py", "core", "SIP core: registrar bindings"),
    Target("impl/core/proxy.py", "core", "SIP core: routing and identity assertion (P-Asserted-Identity)"),
    Target("impl/core/authentication.py", "core", "SIP core: REGISTER authentication"),
    Target("impl/idm/tokens.py", "idm", "IdM: the tokens it issues (claims, lifetimes)"),
    Target("impl/idm/token_endpoint.py", "idm", "IdM: token endpoint (grant, PKCE, client checks)"),
)

ROLES = ("idm", "kms", "server", "core", "client")


def role_of(file: str) -> str | None:
    """The default role of a file: its target's, else the role package it lies in (impl/<role>/...)."""
    for t in DEFAULT_TARGETS:
        if t.file == file:
            return t.role
    parts = file.split("/")
    if len(parts) >= 3 and parts[0] == "impl" and parts[1] in ROLES:
        return parts[1]
    return None
