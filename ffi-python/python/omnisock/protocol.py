"""Connection states, as in ``websockets.protocol``."""

from __future__ import annotations

import enum

__all__ = ["State", "Side"]


class State(enum.IntEnum):
    """State of a WebSocket connection."""

    CONNECTING = 0
    OPEN = 1
    CLOSING = 2
    CLOSED = 3


class Side(enum.IntEnum):
    """Which end of the connection."""

    SERVER = 0
    CLIENT = 1


CONNECTING, OPEN, CLOSING, CLOSED = State.CONNECTING, State.OPEN, State.CLOSING, State.CLOSED
SERVER, CLIENT = Side.SERVER, Side.CLIENT
