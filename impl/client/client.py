"""Assembly of the reference MCPTT client process (see impl/rolemain.py for the convention)."""
from __future__ import annotations

import ssl
from pathlib import Path

from mcsec.impl.client import config as client_config
from mcsec.impl.client.ibc import ClientIbc
from mcsec.impl.client.session import ClientSession
from mcsec.impl.client.ua import McpttUa
from mcsec.impl.client.uas import ClientUas
from mcsec.impl.client.upper_tester import UpperTester
from mcsec.impl.httpserver import HttpsServer, Router
from mcsec.impl.mcptt.runtime import RuntimeStartError, SipRuntime
from mcsec.impl.mcptt.trace import SipTrace
from mcsec.impl.rolemain import ConfigError
from mcsec.impl.sip import TimerConfig


class _SipPart:
    def __init__(self, runtime: SipRuntime) -> None:
        self.runtime = runtime

    def start(self) -> None:
        pass  # bound in build(), so the ready line can name the port

    def stop(self) -> None:
        self.runtime.stop()


def build(raw: dict):
    config = client_config.load(raw)
    try:
        idm_ctx = ssl.create_default_context(cafile=config.idm.ca)
        kms_ctx = ssl.create_default_context(cafile=config.kms.ca)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"client configuration: cannot read a CA file: {exc}") from None
    session = ClientSession(config, idm_ctx, kms_ctx)
    ua = McpttUa(config, session)
    uas = ClientUas(config, session, ua)

    def attach(endpoint) -> None:
        ua.attach(endpoint)
        uas.install(endpoint)

    trace = (SipTrace(config.trace_path, role="client", ref="SIP-1", rotation=config.rotation)
             if config.trace_path else None)
    runtime = SipRuntime(host=config.host, port=config.sip_port, timers=TimerConfig().scaled(config.timers_scale),
                         trace=trace, setup=attach, netns=config.netns)
    try:
        runtime.start()
    except (RuntimeStartError, OSError) as exc:
        raise ConfigError(f"client configuration: {exc}") from None
    router = Router()
    UpperTester(config, session, ua, runtime, ClientIbc(config, kms_ctx), uas).routes(router)
    try:
        https = HttpsServer(router, host="127.0.0.1", port=config.ut_port, cert=Path(config.ut_cert),
                            key=Path(config.ut_key), name="mcsec-client-ut")
    except (OSError, ssl.SSLError) as exc:
        runtime.stop()
        raise ConfigError(f"client configuration: upper tester: {exc}") from None
    info = {"upper_tester": https.url, "sip": {"host": config.host, "port": runtime.port},
            "impu": config.user.impu, "mcptt_id": config.user.mcptt_id, "faults": config.faults.names()}
    return [_SipPart(runtime), https], info
