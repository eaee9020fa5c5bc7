"""The asyncio adapter of the sans-IO SIP core in ``mcsec.impl.sip``: UDP and TCP transports
(``transport``), an endpoint that drives the RFC 3261 transactions over them (``endpoint``) and the
2xx/ACK exchange of a user agent core (``ua_core``). Sockets live here and nowhere else in SIP."""

from .endpoint import EndpointStats, RequestContext, SipEndpoint
from .transport import Address, Flow, TcpLimits, free_port_pair

__all__ = ["Address", "EndpointStats", "Flow", "RequestContext", "SipEndpoint", "TcpLimits", "free_port_pair"]
