"""How a reference role reaches the HTTPS peers it depends on (the IdM, the KMS): their URL and the
CA file that signed their certificates. Shared by the MCPTT client's and server's configurations."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ServiceEndpoint:
    url: str
    ca: str


@dataclass(frozen=True)
class KmsEndpoint:
    url: str
    kms_uri: str
    ca: str
