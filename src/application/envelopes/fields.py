"""Place a field for a recipient on a page of a draft envelope's document."""

from __future__ import annotations

from dataclasses import dataclass

from undersign.application.access.permissions import Caller, Permission
from undersign.application.access.visibility import require_visible_envelope
from undersign.application.shared.ports import Clock, IdGenerator
from undersign.application.shared.unit_of_work import UnitOfWork, UnitOfWorkFactory
from undersign.application.shared.write_conflicts import in_fresh_unit_of_work
from undersign.domain.errors import InvalidInput
from undersign.domain.field import Field, FieldKind, Placement


@dataclass(frozen=True, slots=True, kw_only=True)
class PlaceField:
    caller: Caller
    envelope_id: str
    document_id: str
    signer_id: str
    kind: FieldKind
    placement: Placement
    required: bool = True
    expected_version: int | None = None  # the version the caller last read (If-Match); None: no check


class PlaceFieldHandler:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, ids: IdGenerator) -> None:
        self._uow, self._clock, self._ids = uow, clock, ids

    async def __call__(self, command: PlaceField) -> Field:
        command.caller.require(Permission.WRITE_ENVELOPES)

        async def place(uow: UnitOfWork) -> Field:
            envelope = await require_visible_envelope(
                uow, command.caller, command.envelope_id, expected_version=command.expected_version
            )
            document = await uow.documents.get(envelope.tenant_id, command.document_id)
            if document is None or document.envelope_id != envelope.id:
                raise InvalidInput(f"document {command.document_id} is not in this envelope")
            placed = envelope.place_field(
                field_id=self._ids.new_id(),
                document_id=document.id,
                signer_id=command.signer_id,
                kind=command.kind,
                placement=command.placement,
                required=command.required,
                pages=document.pages,
                now=self._clock.now(),
                actor=command.caller.actor,
            )
            await uow.envelopes.save(envelope)
            await uow.commit()
            return placed

        return await in_fresh_unit_of_work(self._uow, place)
