"""omnisock: WebSocket server and client for asyncio, run by a Rust core.

Two faces:

- a drop-in for the common ``websockets`` API — ``import omnisock as websockets`` keeps
  programs written for it: :func:`serve`, :func:`connect`, :func:`broadcast`, the connection
  objects and the exception classes (``omnisock.sync`` has the threaded forms);
- the native hub, :class:`Hub`: routes (echo/broadcast/relay/host), groups, direct sends,
  overflow policies, limits and status, with every fan-out done in Rust.
"""

from __future__ import annotations

from . import _native
from .client import ClientConnection, connect, unix_connect
from .connection import Connection, Data
from .datastructures import Headers, MultipleValuesError
from .exceptions import (
    AbortHandshake,
    ConcurrencyError,
    ConnectionClosed,
    ConnectionClosedError,
    ConnectionClosedOK,
    DuplicateParameter,
    InvalidHandshake,
    InvalidHeader,
    InvalidHeaderFormat,
    InvalidHeaderValue,
    InvalidMessage,
    InvalidOrigin,
    InvalidParameterName,
    InvalidParameterValue,
    InvalidProxy,
    InvalidState,
    InvalidStatus,
    InvalidStatusCode,
    InvalidUpgrade,
    InvalidURI,
    NegotiationError,
    PayloadTooBig,
    ProtocolError,
    QueueFull,
    RedirectHandshake,
    SecurityError,
    WebSocketException,
    WebSocketProtocolError,
)
from .frames import Close as CloseFrame, CloseCode
from .http11 import Request, Response
from .hub import Hub, Route
from .protocol import State
from .server import Server, ServerConnection, basic_auth, broadcast, serve, server_ssl_context, unix_serve

__version__ = _native.VERSION
version = __version__

# websockets' legacy names for the same things
WebSocketServerProtocol = ServerConnection
WebSocketClientProtocol = ClientConnection
WebSocketServer = Server
WebSocketCommonProtocol = Connection

__all__ = [
    "serve",
    "connect",
    "broadcast",
    "basic_auth",
    "unix_serve",
    "unix_connect",
    "Server",
    "ServerConnection",
    "ClientConnection",
    "Connection",
    "Data",
    "Headers",
    "MultipleValuesError",
    "Request",
    "Response",
    "State",
    "CloseCode",
    "CloseFrame",
    "Hub",
    "Route",
    "server_ssl_context",
    "WebSocketException",
    "ConnectionClosed",
    "ConnectionClosedOK",
    "ConnectionClosedError",
    "InvalidURI",
    "InvalidProxy",
    "InvalidHandshake",
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
    "WebSocketServerProtocol",
    "WebSocketClientProtocol",
    "WebSocketServer",
]
