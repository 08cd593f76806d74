"""A doorbell: what this process writes wakes the loop that handles it, instead of waiting for its next look.

The background loops look for work every so often. Rung as the work is committed (an outbox
message, a queued job, a job slot freed), the loop that waits for it goes at once: the seal
starts as the last signature is saved, not up to a look later. The looks stay, for what other
processes write and for jobs that come due later, but they can be far apart: an idle server
no longer asks its database several times a second whether there is anything to do.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterable, Iterator

from undersign.application.shared.jobs import JobLane


class Doorbell:
    """Rung from anywhere (any thread, with or without an event loop); each listener's event is set in its own loop."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # the units of work of several threads' loops may ring
        self._listeners: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []

    def ring(self) -> None:
        with self._lock:
            listeners = list(self._listeners)
        try:
            here = asyncio.get_running_loop()
        except RuntimeError:
            here = None
        for loop, event in listeners:
            if loop is here:
                event.set()
            else:
                with contextlib.suppress(RuntimeError):  # its loop closed since: nobody left to wake
                    loop.call_soon_threadsafe(event.set)

    @contextlib.contextmanager
    def listener(self) -> Iterator[asyncio.Event]:
        """An event of the running loop's that every ring sets; its waiter clears it before it looks."""
        listener = (asyncio.get_running_loop(), asyncio.Event())
        with self._lock:
            self._listeners.append(listener)
        try:
            yield listener[1]
        finally:
            with self._lock:
                self._listeners.remove(listener)


class LaneDoorbells:
    """A doorbell per job lane: queued jobs wake the loops of their own lanes only."""

    def __init__(self) -> None:
        self._bells = {lane: Doorbell() for lane in JobLane}

    def __getitem__(self, lane: JobLane) -> Doorbell:
        return self._bells[lane]

    def ring(self, lanes: Iterable[JobLane]) -> None:
        for lane in set(lanes):
            self._bells[lane].ring()
