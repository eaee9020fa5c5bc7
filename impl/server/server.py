"""Assembly of the reference MCPTT server process (see impl/rolemain.py for the convention)."""
from __future__ import annotations

import logging
import ssl

from mcsec.impl.kms.cekclient import CekClient
from mcsec.impl.mcptt.runtime import RuntimeStartError, SipRuntime
from mcsec.impl.mcptt.trace import SipTrace
from mcsec.impl.rolemain import ConfigError
from mcsec.impl.server import config as server_config
from mcsec.impl.server.csk_upload import CskReceiver
from mcsec.impl.server.csk_store import CskStore
from mcsec.impl.server.ibc_keys import KeyRing, StaticKeyRing, kms_key_ring
from mcsec.impl.server.keystore import KeyServiceUnavailable, KeyStore, ServerToken
from mcsec.impl.server.uas import McpttUas
from mcsec.impl.sip import TimerConfig


log = logging.getLogger("mcsec.server")


def _key_ring(config: server_config.ServerConfig, token: ServerToken, kms_ctx: ssl.SSLContext) -> KeyRing:
    """The server's MIKEY-SAKKE key material: from the configuration, else from the KMS (fetched now
    when the KMS answers, else on first use)."""
    ibc = config.ibc
    if ibc.key_material is not None:
        return StaticKeyRing(ibc.key_material)
    ring = kms_key_ring(identity=config.ibc_identity, kms_url=config.kms.url, kms_uri=config.kms.kms_uri,
                        context=kms_ctx, token=token, user_id_format=ibc.user_id_format,
                        slack_s=max(ibc.freshness_window_s, ibc.max_future_s or 0.0))
    try:
        ring.prime()
    except KeyServiceUnavailable as exc:
        log.warning("no MIKEY-SAKKE key material yet (%s); asking again on first use", exc)
    return ring


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
    try:
        other_kms = [CekClient(k.url, k.kms_uri, ssl.create_default_context(cafile=k.ca)) for k in config.other_kms]
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"server configuration: cannot read a CA file of other_kms: {exc}") from None
    keys = KeyStore(server_uri=config.uri, kms=CekClient(config.kms.url, config.kms.kms_uri, kms_ctx),
                    token=token, faults=config.faults, other_kms=other_kms, homes=config.user_kms)
    csk = CskReceiver(keys=_key_ring(config, token, kms_ctx), settings=config.ibc, faults=config.faults,
                      store=CskStore())
    uas = McpttUas(config, keys, csk)
    trace = (SipTrace(config.trace_path, role="server", ref="SIP-2", rotation=config.rotation)
             if config.trace_path else None)
    runtime = SipRuntime(host=config.host, port=config.port, timers=TimerConfig().scaled(config.timers_scale),
                         trace=trace, setup=uas.install, netns=config.netns,
                         tcp_limits=config.tcp.unbounded if "server_keep_idle_tcp" in config.faults else config.tcp)
    try:
        runtime.start()
    except (RuntimeStartError, OSError) as exc:
        raise ConfigError(f"server configuration: {exc}") from None
    info = {"sip": {"host": config.host, "port": runtime.port}, "uri": config.uri,
            "ibc_identity": config.ibc_identity, "faults": config.faults.names()}
    return [McpttServer(runtime)], info
