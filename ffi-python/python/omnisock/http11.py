"""HTTP request and response of the opening handshake, as in ``websockets.http11``."""

from __future__ import annotations

import dataclasses
from typing import Optional

from .datastructures import Headers

__all__ = ["Request", "Response"]


@dataclasses.dataclass
class Request:
    """The handshake request: ``path`` (with the query string) and ``headers``."""

    path: str
    headers: Headers

    @property
    def query(self) -> str:
        return self.path.partition("?")[2]


@dataclasses.dataclass
class Response:
    """An HTTP response: the handshake's, or one that refuses it."""

    status_code: int
    reason_phrase: str
    headers: Optional[Headers]
    body: bytes = b""

    def __post_init__(self) -> None:
        if self.headers is None:
            self.headers = Headers()
        if isinstance(self.body, str):
            self.body = self.body.encode()
