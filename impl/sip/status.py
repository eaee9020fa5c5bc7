"""SIP status codes and their default reason phrases (RFC 3261 section 21 and later RFCs)."""

from __future__ import annotations

__all__ = ["REASON_PHRASES", "reason_phrase", "status_class"]

REASON_PHRASES: dict[int, str] = {
    # 1xx provisional
    100: "Trying",
    180: "Ringing",
    181: "Call Is Being Forwarded",
    182: "Queued",
    183: "Session Progress",
    199: "Early Dialog Terminated",  # RFC 6228
    # 2xx success
    200: "OK",
    202: "Accepted",  # RFC 3265 (deprecated by RFC 6665, still seen)
    204: "No Notification",  # RFC 5839
    # 3xx redirection
    300: "Multiple Choices",
    301: "Moved Permanently",
    302: "Moved Temporarily",
    305: "Use Proxy",
    380: "Alternative Service",
    # 4xx client failure
    400: "Bad Request",
    401: "Unauthorized",
    402: "Payment Required",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    407: "Proxy Authentication Required",
    408: "Request Timeout",
    410: "Gone",
    412: "Conditional Request Failed",  # RFC 3903
    413: "Request Entity Too Large",
    414: "Request-URI Too Long",
    415: "Unsupported Media Type",
    416: "Unsupported URI Scheme",
    417: "Unknown Resource-Priority",  # RFC 4412
    420: "Bad Extension",
    421: "Extension Required",
    422: "Session Interval Too Small",  # RFC 4028
    423: "Interval Too Brief",
    428: "Use Identity Header",  # RFC 4474
    429: "Provide Referrer Identity",  # RFC 3892
    430: "Flow Failed",  # RFC 5626
    433: "Anonymity Disallowed",  # RFC 5079
    436: "Bad Identity-Info",
    437: "Unsupported Certificate",
    438: "Invalid Identity Header",
    439: "First Hop Lacks Outbound Support",  # RFC 5626
    440: "Max-Breadth Exceeded",  # RFC 5393
    469: "Bad Info Package",  # RFC 6086
    470: "Consent Needed",  # RFC 5360
    480: "Temporarily Unavailable",
    481: "Call/Transaction Does Not Exist",
    482: "Loop Detected",
    483: "Too Many Hops",
    484: "Address Incomplete",
    485: "Ambiguous",
    486: "Busy Here",
    487: "Request Terminated",
    488: "Not Acceptable Here",
    489: "Bad Event",  # RFC 6665
    491: "Request Pending",
    493: "Undecipherable",
    494: "Security Agreement Required",  # RFC 3329
    # 5xx server failure
    500: "Server Internal Error",
    501: "Not Implemented",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Server Time-out",
    505: "Version Not Supported",
    513: "Message Too Large",
    580: "Precondition Failure",  # RFC 3312
    # 6xx global failure
    600: "Busy Everywhere",
    603: "Decline",
    604: "Does Not Exist Anywhere",
    606: "Not Acceptable",
    607: "Unwanted",  # RFC 8197
    608: "Rejected",  # RFC 8688
}

_CLASS_DEFAULTS = {1: "Provisional", 2: "Success", 3: "Redirection", 4: "Client Error",
                   5: "Server Error", 6: "Global Failure"}


def status_class(status: int) -> int:
    """The class digit of ``status`` (1 to 6). Raises ``ValueError`` outside 100..699."""
    if not 100 <= status <= 699:
        raise ValueError(f"SIP status code out of range: {status}")
    return status // 100


def reason_phrase(status: int) -> str:
    """The default reason phrase for ``status``; unknown codes get a phrase for their class."""
    phrase = REASON_PHRASES.get(status)
    if phrase is not None:
        return phrase
    return _CLASS_DEFAULTS[status_class(status)]
