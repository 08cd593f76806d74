"""PDF work in one process, the seal first.

Signing, sealing and time-stamping hold the interpreter (pyHanko is Python): run side by side
in one process they share it, and under load each takes as long as all of them together. The
seal is what a completed envelope waits for, so a process runs at most SLOTS PDF operations at
once, and a seal (the platform's, on a document or a certificate of completion) that waits
starts before any other operation that waits. A signature then waits for the seals ahead of
it, a few hundred milliseconds each, rather than every seal for every signature.

More than one slot, because an operation also waits on the network (a time-stamping authority,
revocation data) without holding the interpreter.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

from undersign.application.shared.pdf import PdfSigner, SignatureRequest
from undersign.domain.field import Field
from undersign.domain.policy import SignatureLevel

SLOTS = 2


class PdfWorkGate:
    """At most `slots` holders at once; waiting urgent ones are let in before any other waiting one, each kind in order."""

    def __init__(self, slots: int = SLOTS) -> None:
        self._free = slots
        self._waiting: dict[bool, deque[asyncio.Future[None]]] = {True: deque(), False: deque()}

    @asynccontextmanager
    async def slot(self, *, urgent: bool) -> AsyncIterator[None]:
        await self._enter(urgent)
        try:
            yield
        finally:
            self._leave()

    async def _enter(self, urgent: bool) -> None:
        if self._free > 0 and not self._waiting[True] and (urgent or not self._waiting[False]):
            self._free -= 1
            return
        turn = asyncio.get_running_loop().create_future()
        self._waiting[urgent].append(turn)
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():
                self._leave()  # the slot was handed over just as the waiter gave up: pass it on
            else:
                self._waiting[urgent].remove(turn)
            raise

    def _leave(self) -> None:
        """Hand the slot to the next waiter, urgent first; free it if nobody waits."""
        for urgent in (True, False):
            waiting = self._waiting[urgent]
            while waiting:
                turn = waiting.popleft()
                if not turn.done():
                    turn.set_result(None)
                    return
        self._free += 1


class SealFirstPdfSigner:
    """A PdfSigner whose operations take turns through a PdfWorkGate: seals urgent, the rest in order."""

    def __init__(self, signer: PdfSigner, gate: PdfWorkGate | None = None) -> None:
        self._signer, self._gate = signer, gate or PdfWorkGate()

    async def prepare(self, source: str, output: str, fields: list[Field]) -> None:
        async with self._gate.slot(urgent=False):
            await self._signer.prepare(source, output, fields)

    async def sign(self, source: str, output: str, request: SignatureRequest) -> str:
        async with self._gate.slot(urgent=False):
            return await self._signer.sign(source, output, request)

    async def seal(self, source: str, output: str, level: SignatureLevel) -> None:
        async with self._gate.slot(urgent=True):
            await self._signer.seal(source, output, level)

    async def archive_timestamp_expiry(self, pdf: str) -> datetime | None:
        return await self._signer.archive_timestamp_expiry(pdf)  # reads one signature's certificate: no turn needed

    async def add_archive_timestamp(self, source: str, output: str) -> None:
        async with self._gate.slot(urgent=False):
            await self._signer.add_archive_timestamp(source, output)
