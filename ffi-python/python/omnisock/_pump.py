"""Moves events from a native queue into the asyncio loop, many per wake.

The core's queue has a file descriptor that stays readable while events are queued
(level-triggered). ``loop.add_reader`` calls :meth:`Pump._drain`, which takes one batch with
``poll`` and hands it to the owner; if more remain the descriptor stays readable and the loop
calls again on its next iteration, so one busy queue never starves the loop.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Callable, List

BATCH = 4096

log = logging.getLogger("omnisock")


class Pump:
    __slots__ = ("native", "loop", "fd", "on_events", "reading", "stopped")

    def __init__(self, native: Any, loop: asyncio.AbstractEventLoop, on_events: Callable[[List[tuple]], None]) -> None:
        self.native = native
        self.loop = loop
        self.fd = native.wake_fd()
        self.on_events = on_events
        self.reading = False
        self.stopped = False
        self.resume()

    def _drain(self) -> None:
        events = self.native.poll(BATCH)
        if events:
            try:
                self.on_events(events)
            except Exception:  # a bug in a dispatcher must not stop the pump
                log.exception("omnisock: error while dispatching events")

    def drain_now(self) -> int:
        """Dispatches what is queued right now (at most a few batches); returns the count."""
        total = 0
        for _ in range(64):
            events = self.native.poll(BATCH)
            if not events:
                break
            total += len(events)
            self.on_events(events)
        return total

    def pause(self) -> None:
        """Stops taking events: the core's bounded queue then stops reading the socket."""
        if self.reading:
            self.loop.remove_reader(self.fd)
            self.reading = False

    def resume(self) -> None:
        if not self.reading and not self.stopped:
            self.loop.add_reader(self.fd, self._drain)
            self.reading = True

    def stop(self) -> None:
        self.pause()
        self.stopped = True
