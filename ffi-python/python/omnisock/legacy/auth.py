"""``omnisock.legacy.auth``, as ``websockets.legacy.auth``: HTTP Basic authentication for
``omnisock.legacy.server.serve(create_protocol=basic_auth_protocol_factory(...))``."""

from __future__ import annotations

from typing import Any, Callable, Optional

__all__ = ["basic_auth_protocol_factory", "BasicAuth"]


class BasicAuth:
    """What ``basic_auth_protocol_factory`` returns: the realm and the credential check, which
    ``serve`` turns into a ``process_request`` hook (``websocket.username`` is set on success)."""

    def __init__(self, realm: Optional[str], credentials: Any, check_credentials: Optional[Callable]) -> None:
        self.realm = realm or ""
        self.credentials = credentials
        self.check_credentials = check_credentials

    def process_request(self) -> Callable:
        from ..server import basic_auth

        return basic_auth(self.realm, credentials=self.credentials, check_credentials=self.check_credentials)


def basic_auth_protocol_factory(
    realm: Optional[str] = None,
    credentials: Any = None,
    check_credentials: Optional[Callable] = None,
    create_protocol: Any = None,
) -> BasicAuth:
    """Requires HTTP Basic credentials (a ``(username, password)`` pair, a list of them, or a
    ``check_credentials(username, password)`` function or coroutine)."""
    if create_protocol is not None:
        raise NotImplementedError("omnisock has no protocol classes to subclass; pass process_request= to serve()")
    auth = BasicAuth(realm, credentials, check_credentials)
    auth.process_request()  # the argument checks, at the call as in websockets
    return auth
