"""The jobs that failed for good: operators list and replay them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from undersign.application.background.ports import DeadLetter
from undersign.application.shared.jobs import Job, JobLane, JobQueue, again
from undersign.application.shared.ports import IdGenerator
from undersign.application.shared.unit_of_work import UnitOfWorkFactory
from undersign.domain.errors import NotFound


class DeadLetterOffice:
    """Operators' view of the jobs that failed for good: list them, replay them."""

    def __init__(
        self, uow: UnitOfWorkFactory, queue: JobQueue, ids: IdGenerator, *, lane_of: Callable[[Job], JobLane]
    ) -> None:
        """`lane_of` tells the lane of a job's kind: dead letters do not keep it."""
        self._uow, self._queue, self._ids, self._lane_of = uow, queue, ids, lane_of

    async def list(self, *, limit: int = 100) -> list[DeadLetter]:
        async with self._uow() as uow:
            return await uow.dead_letters.list(limit=limit)

    async def replay_all(self) -> list[Job]:
        """Replay every dead letter, those kept while this runs included; the jobs queued."""
        queued: list[Job] = []
        while letters := await self.list(limit=100):
            queued += [await self.replay(letter.id) for letter in letters]
        return queued

    async def replay(self, letter_id: str) -> Job:
        """Queue the job again, as a fresh job with all its attempts, and forget the dead letter."""
        async with self._uow() as uow:
            letter = await uow.dead_letters.get(letter_id)
            if letter is None:
                raise NotFound(f"no dead letter {letter_id}")
            job = replace(again(letter.job, self._ids, why="replay"), lane=self._lane_of(letter.job))
            await self._queue.enqueue([job])
            await uow.dead_letters.delete(letter_id)
            await uow.commit()
        return job
