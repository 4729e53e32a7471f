"""Exceptions, with the names and hierarchy of ``websockets.exceptions``.

Every exception raised by omnisock derives from :class:`WebSocketException`, except where
``websockets`` raises built-in ones (``TimeoutError`` on an open timeout, ``OSError`` when the
TCP connection fails, ``TypeError``/``ValueError`` for bad arguments).

The core's stable error codes are mapped to these classes in exactly one place:
:func:`_from_core`, which the native module calls for every error it raises.
"""

from __future__ import annotations

import re
import ssl as _ssl
from typing import Optional

from . import _vocab
from .frames import Close, OK_CLOSE_CODES

__all__ = [
    "WebSocketException",
    "ConnectionClosed",
    "ConnectionClosedOK",
    "ConnectionClosedError",
    "InvalidURI",
    "InvalidProxy",
    "InvalidHandshake",
    "ProxyError",
    "InvalidProxyMessage",
    "InvalidProxyStatus",
    "SecurityError",
    "InvalidMessage",
    "InvalidStatus",
    "InvalidStatusCode",
    "InvalidHeader",
    "InvalidHeaderFormat",
    "InvalidHeaderValue",
    "InvalidOrigin",
    "InvalidUpgrade",
    "NegotiationError",
    "DuplicateParameter",
    "InvalidParameterName",
    "InvalidParameterValue",
    "AbortHandshake",
    "RedirectHandshake",
    "ProtocolError",
    "WebSocketProtocolError",
    "PayloadTooBig",
    "InvalidState",
    "ConcurrencyError",
    "QueueFull",
    "HubError",
    "NotFound",
]


class WebSocketException(Exception):
    """Base class of every exception defined here."""


class ConnectionClosed(WebSocketException):
    """Raised when trying to interact with a closed connection.

    ``rcvd`` and ``sent`` are the close frames received and sent (``None`` when there was
    none); ``rcvd_then_sent`` tells their order when both exist.
    """

    def __init__(self, rcvd: Optional[Close], sent: Optional[Close], rcvd_then_sent: Optional[bool] = None) -> None:
        self.rcvd = rcvd
        self.sent = sent
        self.rcvd_then_sent = rcvd_then_sent
        super().__init__(rcvd, sent, rcvd_then_sent)

    def __str__(self) -> str:
        if self.rcvd is None:
            if self.sent is None:
                return "no close frame received or sent"
            return f"sent {self.sent}; no close frame received"
        if self.sent is None:
            return f"received {self.rcvd}; no close frame sent"
        if self.rcvd_then_sent:
            return f"received {self.rcvd}; then sent {self.sent}"
        return f"sent {self.sent}; then received {self.rcvd}"

    @property
    def code(self) -> int:
        """Close code (1006 when no close frame was received); kept for old code."""
        return 1006 if self.rcvd is None else self.rcvd.code

    @property
    def reason(self) -> str:
        """Close reason; kept for old code."""
        return "" if self.rcvd is None else self.rcvd.reason


class ConnectionClosedOK(ConnectionClosed):
    """The connection closed properly (1000 or 1001 both ways)."""


class ConnectionClosedError(ConnectionClosed):
    """The connection closed with an error, or without a closing handshake."""


class InvalidURI(WebSocketException):
    """The connection URI is not a valid ``ws://`` or ``wss://`` URI."""

    def __init__(self, uri: str, msg: str) -> None:
        self.uri = uri
        self.msg = msg
        super().__init__(uri, msg)

    def __str__(self) -> str:
        return f"{self.uri} isn't a valid URI: {self.msg}"


class InvalidProxy(WebSocketException):
    """A proxy URI is invalid."""

    def __init__(self, proxy: str, msg: str) -> None:
        self.proxy = proxy
        self.msg = msg
        super().__init__(proxy, msg)

    def __str__(self) -> str:
        return f"{self.proxy} isn't a valid proxy: {self.msg}"


class InvalidHandshake(WebSocketException):
    """The opening handshake failed."""


class SecurityError(InvalidHandshake):
    """A handshake request or response broke a security rule."""


class ProxyError(InvalidHandshake):
    """Connecting through an HTTP proxy failed."""


class InvalidProxyMessage(ProxyError):
    """The proxy's answer to ``CONNECT`` was malformed."""


class InvalidProxyStatus(ProxyError):
    """The proxy refused ``CONNECT`` with an HTTP status (``response.status_code``)."""

    def __init__(self, response) -> None:
        self.response = response
        super().__init__(response)

    def __str__(self) -> str:
        return f"proxy rejected connection: HTTP {self.response.status_code:d}"


class InvalidMessage(InvalidHandshake):
    """The handshake request or response was malformed."""


class InvalidStatus(InvalidHandshake):
    """The server refused the handshake with an HTTP status (``response.status_code``)."""

    def __init__(self, response) -> None:  # response: omnisock.http11.Response
        self.response = response
        super().__init__(response)

    def __str__(self) -> str:
        return f"server rejected WebSocket connection: HTTP {self.response.status_code:d}"


class InvalidStatusCode(InvalidHandshake):
    """Legacy form of :class:`InvalidStatus` (``status_code``, ``headers``)."""

    def __init__(self, status_code: int, headers=None) -> None:
        self.status_code = status_code
        self.headers = headers
        super().__init__(status_code, headers)


class InvalidHeader(InvalidHandshake):
    """A handshake header is missing or invalid."""

    def __init__(self, name: str, value: Optional[str] = None) -> None:
        self.name = name
        self.value = value
        super().__init__(name, value)


class InvalidHeaderFormat(InvalidHeader):
    """A header could not be parsed."""


class InvalidHeaderValue(InvalidHeader):
    """A header has a wrong value."""


class InvalidOrigin(InvalidHeader):
    """The Origin header is not allowed."""


class InvalidUpgrade(InvalidHeader):
    """The Upgrade or Connection header is wrong."""


class NegotiationError(InvalidHandshake):
    """Negotiating an extension or subprotocol failed."""


class DuplicateParameter(NegotiationError):
    """A parameter appears twice in an extension header."""


class InvalidParameterName(NegotiationError):
    """An extension parameter has an invalid name."""


class InvalidParameterValue(NegotiationError):
    """An extension parameter has an invalid value."""


class AbortHandshake(InvalidHandshake):
    """Legacy: raised by ``process_request`` to refuse a handshake."""

    def __init__(self, status: int, headers=None, body: bytes = b"") -> None:
        self.status = int(status)
        self.headers = headers
        self.body = body
        super().__init__(status, headers, body)


class RedirectHandshake(InvalidHandshake):
    """Legacy: a redirect was received."""


class ProtocolError(WebSocketException):
    """The peer violated the WebSocket protocol."""


WebSocketProtocolError = ProtocolError


class PayloadTooBig(WebSocketException):
    """A message is larger than ``max_size``."""


class InvalidState(WebSocketException, AssertionError):
    """The operation is not allowed in the connection's current state."""


class ConcurrencyError(WebSocketException, RuntimeError):
    """Two coroutines called ``recv()`` (or another exclusive call) at the same time."""


# ---- omnisock's own (no websockets equivalent) ---------------------------------------------


class QueueFull(WebSocketException):
    """A bounded send queue has no room for this message; nothing was queued."""


class HubError(WebSocketException):
    """A hub operation failed (bad group name, shut-down hub, ...)."""


class NotFound(HubError, KeyError):
    """No open connection, route or group with this id or name."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class CoreError(WebSocketException):
    """An error of the core without a better class; ``code`` is the core's error code."""

    def __init__(self, code: int, message: str) -> None:
        self.code = code
        super().__init__(message)


def _from_core(code: int, message: str, uri: Optional[str] = None, refusal=None) -> BaseException:
    """Maps a core error (stable code + message) to an exception instance. The one place.

    ``refusal`` is ``(status, headers, body)`` from the core when a handshake was refused."""
    # Redirects the core would not follow (websockets raises SecurityError for these).
    m = re.search(r"more than max_redirects = (\d+) redirects", message)
    if m is not None:
        return SecurityError(f"more than {m.group(1)} redirects")
    m = re.search(r'redirect to "([^"]*)": a redirect from wss:// to ws://', message)
    if m is not None:
        return SecurityError(f"cannot follow redirect to non-secure URI {m.group(1)}")
    if code == _vocab.ERR_INVALID_URL:
        return InvalidURI(uri or _quoted(message), message)
    if code == _vocab.ERR_HANDSHAKE_REJECTED:
        from .datastructures import Headers
        from .http11 import Response

        if refusal is not None:
            status, headers, body = refusal
            return InvalidStatus(Response(status, "", Headers(headers), body))
        return InvalidStatus(Response(_http_status(message) or 0, "", None, message.encode()))
    if code == _vocab.ERR_INVALID_ARGUMENT:
        return ValueError(message)
    if code == _vocab.ERR_INVALID_UTF8:
        return ValueError(message)
    if code == _vocab.ERR_CONFIG:
        return ValueError(message)
    if code == _vocab.ERR_MESSAGE_TOO_BIG:
        return PayloadTooBig(message)
    if code == _vocab.ERR_CLOSED:
        return ConnectionClosedError(None, None)
    if code == _vocab.ERR_QUEUE_FULL:
        return QueueFull(message)
    if code == _vocab.ERR_CONNECT:
        status = _http_status(message)
        if status is not None:
            from .http11 import Response

            return InvalidStatus(Response(status, "", None, message.encode()))
        if "malformed HTTP response" in message:
            exc = InvalidMessage("did not receive a valid HTTP response")
            exc.__cause__ = ValueError(message)
            return exc
        if "handshake" in message:
            return InvalidHandshake(message)
        return ConnectionRefusedError(message) if "refused" in message.lower() else OSError(message)
    if code == _vocab.ERR_TLS:
        return _tls_error(message)
    if code == _vocab.ERR_TIMEOUT:
        return TimeoutError(message)
    if code == _vocab.ERR_IO:
        return OSError(message)
    if code == _vocab.ERR_NOT_FOUND:
        return NotFound(message)
    if code == _vocab.ERR_SHUTDOWN:
        return HubError(message)
    if code == _vocab.ERR_PROTOCOL:
        return ProtocolError(message)
    return CoreError(code, message)


#: What OpenSSL says (and websockets users match on) for the core's certificate errors.
_CERT_ERRORS = {
    "UnknownIssuer": "unable to get local issuer certificate",
    "NotValidForName": "Hostname mismatch",
    "Expired": "certificate has expired",
    "NotValidYet": "certificate is not yet valid",
    "Revoked": "certificate revoked",
}

#: The same, for the reasons rustls spells out in words (with their context) rather than by name.
_CERT_ERROR_TEXTS = (
    ("certificate not valid for name", "Hostname mismatch"),
    ("certificate expired", "certificate has expired"),
    ("certificate not valid yet", "certificate is not yet valid"),
)


def _tls_error(message: str) -> _ssl.SSLError:
    """A certificate the core refused becomes ``ssl.SSLCertVerificationError`` (as in
    websockets, with OpenSSL's wording first); other TLS failures ``ssl.SSLError``."""
    m = re.search(r"invalid peer certificate: ((\w+).*)", message)
    if m is None:
        return _ssl.SSLError(message)
    why = _CERT_ERRORS.get(m.group(2))
    if why is None:
        why = next((said for text, said in _CERT_ERROR_TEXTS if m.group(1).startswith(text)), m.group(2))
    return _ssl.SSLCertVerificationError(1, f"[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: {why} ({message})")


def _http_status(message: str) -> Optional[int]:
    m = re.search(r"answered HTTP (\d{3})", message)
    return int(m.group(1)) if m else None


def _quoted(message: str) -> str:
    m = re.search(r'"([^"]*)"', message)
    return m.group(1) if m else ""


def _close_exc(rcvd: Optional[Close], sent: Optional[Close], rcvd_then_sent: Optional[bool]) -> ConnectionClosed:
    """The ConnectionClosed subclass websockets picks for these close frames."""
    if rcvd is not None and sent is not None and rcvd.code in OK_CLOSE_CODES and sent.code in OK_CLOSE_CODES:
        return ConnectionClosedOK(rcvd, sent, rcvd_then_sent)
    return ConnectionClosedError(rcvd, sent, rcvd_then_sent)
