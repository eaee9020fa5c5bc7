"""SIP for the reference roles and the suite, sans-IO: a codec (message model, parser, serializer,
multipart) and transactions (RFC 3261 section 17) that take bytes and time and give back messages,
events and bytes to send. Sockets and asyncio live in the adapter ``mcsec.impl.sip.aio``.

Modules: ``message`` (Request, Response), ``parser`` (parse_message), ``framing`` (stream framing),
``headers`` (ordered headers, compact forms), ``header_values`` (Via, NameAddress, CSeq, MediaType),
``uri``, ``multipart``, ``derived`` (responses, ACKs, new requests), ``status`` (reason phrases),
``errors``, ``timers``, ``transaction_base``, ``client_transactions`` and ``server_transactions``.
"""

from .client_transactions import InviteClientTransaction, NonInviteClientTransaction, new_client_transaction
from .derived import make_2xx_ack, make_error_response, make_non2xx_ack, make_request, make_response
from .errors import (
    ContentLengthMismatch,
    CSeqMethodMismatch,
    IncompleteMessage,
    InvalidEncoding,
    InvalidHeaderValue,
    MalformedHeader,
    MalformedMultipart,
    MalformedStartLine,
    MalformedUri,
    MessageTooLarge,
    MissingContentLength,
    MissingHeader,
    SipError,
    SipParseError,
    TransactionError,
    TransactionTimeout,
    TransportError,
    UnsupportedVersion,
)
from .framing import StreamFramer
from .header_values import CSeq, MediaType, NameAddress, Via
from .headers import HeaderField, Headers
from .identifiers import MAGIC_COOKIE, new_branch, new_call_id, new_tag
from .message import Request, Response, SipMessage
from .multipart import BodyPart, MultipartBody, build_multipart, parse_multipart
from .parser import DEFAULT_MAX_MESSAGE_SIZE, PartialMessage, parse_message
from .server_transactions import InviteServerTransaction, NonInviteServerTransaction, new_server_transaction
from .status import reason_phrase
from .timers import TimerConfig
from .uri import AbsoluteUri, SipUri, parse_uri

__all__ = [
    "AbsoluteUri", "BodyPart", "CSeq", "CSeqMethodMismatch", "ContentLengthMismatch",
    "DEFAULT_MAX_MESSAGE_SIZE", "HeaderField", "Headers", "IncompleteMessage",
    "InvalidEncoding", "InvalidHeaderValue", "InviteClientTransaction", "InviteServerTransaction",
    "MAGIC_COOKIE", "MalformedHeader", "MalformedMultipart", "MalformedStartLine", "MalformedUri",
    "MediaType", "MessageTooLarge", "MissingContentLength", "MissingHeader", "MultipartBody",
    "NameAddress", "NonInviteClientTransaction", "NonInviteServerTransaction", "PartialMessage",
    "Request", "Response", "SipError", "SipMessage", "SipParseError",
    "SipUri", "StreamFramer", "TimerConfig", "TransactionError", "TransactionTimeout", "TransportError",
    "UnsupportedVersion", "Via", "build_multipart", "make_2xx_ack", "make_error_response",
    "make_non2xx_ack", "make_request", "make_response", "new_branch", "new_call_id",
    "new_client_transaction", "new_server_transaction", "new_tag", "parse_message", "parse_multipart",
    "parse_uri", "reason_phrase",
]
