"""The one form a client configuration crosses into the core: a JSON document of the core's
``ClientConfig`` (validated and defaulted by the core; sizes and durations in human form).

Only the ``websockets`` conventions are translated here (``None`` meaning "no limit", an
``ssl.SSLContext`` for the trusted CAs); every default and range check lives in the core.
"""

from __future__ import annotations

import json
import os
import ssl as _ssl
import sys
from typing import Any, Dict, List, Optional, Sequence, Tuple

from . import _native, _ssl_files

_ssl_files.install()

# What `None` ("no limit" in websockets) becomes for limits the core requires.
_NO_OPEN_TIMEOUT = "1h"
_NO_PONG_TIMEOUT = 1e9
_NO_MAX_SIZE = sys.maxsize >> 2
# Reconnect attempts of the reconnecting `async for` form: practically endless.
FOREVER = 2**31


def _seconds(v: Optional[float], none: Any) -> Any:
    return none if v is None else float(v)


def _tls(ssl: Any) -> Dict[str, Any]:
    if ssl is None or ssl is True or ssl is False:
        return {}
    if isinstance(ssl, _ssl.SSLContext):
        if ssl.verify_mode == _ssl.CERT_NONE:
            return {"danger_accept_invalid_certs": True}
        pem = _ssl_files.trusted_pem(ssl)
        return {"extra_ca_pem": pem} if pem else {}
    raise TypeError("ssl= must be an ssl.SSLContext")


def client_config(
    uri: str,
    *,
    headers: List[Tuple[str, str]],
    subprotocols: Optional[Sequence[str]] = None,
    fallback_urls: Optional[Sequence[str]] = None,
    open_timeout: Optional[float] = 10,
    ping_interval: Optional[float] = 20,
    ping_timeout: Optional[float] = 20,
    close_timeout: Optional[float] = 10,
    max_size: Optional[int] = 2**20,
    send_queue_limit: Optional[int] = None,
    reconnect_attempts: int = 0,
    reconnect_delay: Optional[float] = None,
    ssl: Any = None,
    proxy: Any = None,
    max_redirects: Optional[int] = None,
    unix_socket: Optional[str] = None,
    compression: Optional[str] = None,
    server_hostname: Optional[str] = None,
) -> str:
    """The JSON configuration for ``_native.Client`` from ``websockets``-style arguments."""
    cfg: Dict[str, Any] = {
        "url": uri,
        "fallback_urls": list(fallback_urls or []),
        "headers": [list(h) for h in headers],
        "subprotocols": list(subprotocols or []),
        "connect_timeout": _seconds(open_timeout or None, _NO_OPEN_TIMEOUT),
        "ping_interval": _seconds(ping_interval or None, "off"),
        "pong_timeout": _seconds(ping_timeout or None, _NO_PONG_TIMEOUT),
        "close_timeout": _seconds(close_timeout or None, 10.0),
        "max_message_size": _NO_MAX_SIZE if max_size is None else int(max_size),
    }
    if compression not in ("deflate", None):
        raise ValueError(f"unsupported compression: {compression}")
    if send_queue_limit is not None:
        cfg["send_queue_limit"] = int(send_queue_limit)
    if reconnect_attempts:
        cfg["reconnect"] = {"max_attempts": int(reconnect_attempts)}
        if reconnect_delay is not None:
            cfg["reconnect"]["initial_delay"] = float(reconnect_delay)
    tls = _tls(ssl)
    if server_hostname is not None:
        if not uri.lower().startswith("wss:"):
            raise ValueError("server_hostname is only meaningful with ssl")
        tls["server_name"] = str(server_hostname)
    if tls:
        cfg["tls"] = tls
    cfg.update(_transport(proxy, max_redirects, unix_socket, compression))
    return json.dumps(cfg)


def _transport(proxy: Any, max_redirects: Optional[int], unix_socket: Optional[str], compression: Optional[str]) -> Dict[str, Any]:
    """websockets' proxy, redirect, Unix socket and compression arguments as core options
    (``proxy=True``: from the environment, websockets' default)."""
    wanted: Dict[str, Any] = {}
    if proxy is True:
        wanted["proxy_from_env"] = True
    elif isinstance(proxy, str):
        wanted["proxy"] = proxy
    elif proxy not in (None, False):
        raise TypeError(f"proxy must be True, None or a proxy URL, not {type(proxy).__name__}")
    if max_redirects is not None:
        wanted["max_redirects"] = int(max_redirects)
    if unix_socket is not None:
        wanted["unix_socket"] = os.fsdecode(os.fspath(unix_socket))
    if compression == "deflate":
        wanted["compression"] = True
    return wanted
