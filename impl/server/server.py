"""Assembly of the reference MCPTT server process (see impl/rolemain.py for the convention)."""
from __future__ import annotations

import ssl

from impl.kms.cekclient import CekClient
from impl.mcptt.runtime import RuntimeStartError, SipRuntime
from impl.mcptt.trace import SipTrace
from impl.rolemain import ConfigError
from impl.server import config as server_config
from impl.server.keystore import KeyStore, ServerToken
from impl.server.uas import McpttUas
from impl.sip import TimerConfig


class McpttServer:
    """The SIP runtime with the UAS installed; ``start``/``stop`` for ``run_role``."""

    def __init__(self, runtime: SipRuntime) -> None:
        self.runtime = runtime

    def start(self) -> None:
        pass  # bound and serving from build(), so the ready line can name the port

    def stop(self) -> None:
        self.runtime.stop()


def build(raw: dict):
    config = server_config.load(raw)
    try:
        idm_ctx = ssl.create_default_context(cafile=config.idm.ca)
        kms_ctx = ssl.create_default_context(cafile=config.kms.ca)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"server configuration: cannot read a CA file: {exc}") from None
    token = ServerToken(config.idm.url, config.client_id, config.client_secret, idm_ctx)
    keys = KeyStore(server_uri=config.uri, kms=CekClient(config.kms.url, config.kms.kms_uri, kms_ctx),
                    token=token, faults=config.faults)
    uas = McpttUas(config, keys)
    trace = SipTrace(config.trace_path, role="server", ref="SIP-2") if config.trace_path else None
    runtime = SipRuntime(host=config.host, port=config.port, timers=TimerConfig().scaled(config.timers_scale),
                         trace=trace, setup=uas.install)
    try:
        runtime.start()
    except (RuntimeStartError, OSError) as exc:
        raise ConfigError(f"server configuration: {exc}") from None
    info = {"sip": {"host": config.host, "port": runtime.port}, "uri": config.uri,
            "faults": config.faults.names()}
    return [McpttServer(runtime)], info
