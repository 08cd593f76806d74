"""Local users' credentials, which users have an identity, and users saved one at a time, on every backend."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from tests.integration.sql.helpers import ACME, GLOBEX, T0, Backend
from tests.integration.sql.test_people import CORP, add, person
from undersign.application.access.ports import StoredCredentials
from undersign.domain.errors import ConcurrencyConflict
from undersign.domain.local_credentials import LocalCredentials, TotpEnrolment
from undersign.domain.tenant import AccessRole

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def enrolled() -> LocalCredentials:
    return LocalCredentials(
        password_hash="$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
        totp=TotpEnrolment(
            secret=SECRET, confirmed_at=T0 + timedelta(seconds=3, microseconds=9), last_used_step=59_034_101
        ),
        recovery_code_hashes=("a" * 64, "b" * 64, "c" * 64),
        failed_attempts=4,
        locked_until=T0 + timedelta(minutes=15, microseconds=1),
    )


async def save(backend: Backend, user_id: str, credentials: LocalCredentials, expected_version: int | None) -> None:
    async with backend.uow() as uow:
        await uow.local_credentials.save(user_id, credentials, expected_version=expected_version)
        await uow.commit()


async def stored(backend: Backend, user_id: str) -> StoredCredentials | None:
    async with backend.uow() as uow:
        return await uow.local_credentials.get(user_id)


async def test_credentials_are_read_back_whole_and_each_save_moves_the_version_by_one(
    backend: Backend, tenants: None
) -> None:
    ada = person()
    await add(backend, ada)
    assert await stored(backend, ada.id) is None

    await save(backend, ada.id, enrolled(), None)
    assert await stored(backend, ada.id) == StoredCredentials(credentials=enrolled(), version=1)

    unlocked = replace(enrolled().after_success(), totp=None, recovery_code_hashes=("d" * 64,), password_hash=None)
    await save(backend, ada.id, unlocked, 1)
    assert await stored(backend, ada.id) == StoredCredentials(credentials=unlocked, version=2)

    await save(backend, ada.id, enrolled(), 2)
    assert await stored(backend, ada.id) == StoredCredentials(credentials=enrolled(), version=3)


async def test_credentials_saved_over_a_stale_version_are_refused_and_change_nothing(
    backend: Backend, tenants: None
) -> None:
    ada = person()
    await add(backend, ada)
    await save(backend, ada.id, enrolled(), None)
    await save(backend, ada.id, enrolled().after_failure(T0), 1)

    for stale in (None, 1, 3):
        with pytest.raises(ConcurrencyConflict):
            await save(backend, ada.id, LocalCredentials(), stale)
    assert await stored(backend, ada.id) == StoredCredentials(credentials=enrolled().after_failure(T0), version=2)


async def test_saving_one_users_credentials_leaves_another_users_alone(backend: Backend, tenants: None) -> None:
    ada, bob = person(), person("user-bob", "bob@example.com")
    await add(backend, ada, bob)
    await save(backend, ada.id, enrolled(), None)
    await save(backend, bob.id, LocalCredentials(password_hash="bob-hash"), None)

    await save(backend, ada.id, LocalCredentials(failed_attempts=1), 1)
    assert await stored(backend, bob.id) == StoredCredentials(credentials=LocalCredentials(password_hash="bob-hash"),
                                                              version=1)
    with pytest.raises(ConcurrencyConflict):  # no credentials for this user: no version to replace
        await save(backend, "user-nobody", LocalCredentials(), 1)
    assert await stored(backend, "user-nobody") is None


async def test_a_user_has_an_identity_once_one_is_linked_to_them(backend: Backend, tenants: None) -> None:
    ada, bob = person(), person("user-bob", "bob@example.com")
    await add(backend, ada, bob)
    async with backend.uow() as uow:
        assert await uow.users.has_identity(ada.id) is False
        await uow.users.link(ada, CORP)
        await uow.users.link(ada, replace(CORP, subject="00u-ada-2"))
        await uow.commit()
    async with backend.uow() as uow:
        assert await uow.users.has_identity(ada.id) is True
        assert await uow.users.has_identity(bob.id) is False


async def test_saving_a_user_changes_that_user_only(backend: Backend, tenants: None) -> None:
    ada, bob = person(), person("user-bob", "bob@example.com")
    await add(backend, ada, bob)

    renamed = replace(ada, name="Ada King").with_role(AccessRole.ADMIN)
    async with backend.uow() as uow:
        await uow.users.save(renamed)
        await uow.commit()
    async with backend.uow() as uow:
        assert await uow.users.get(ACME, ada.id) == renamed
        assert await uow.users.get(ACME, bob.id) == bob


async def test_a_user_saved_under_another_tenant_is_not_changed(backend: Backend, tenants: None) -> None:
    eve = person("user-eve", "eve@example.com", GLOBEX)
    await add(backend, eve)
    async with backend.uow() as uow:
        await uow.users.save(replace(eve, tenant_id=ACME, name="Mallory").with_role(AccessRole.OWNER))
        await uow.commit()
    async with backend.uow() as uow:
        assert await uow.users.get(GLOBEX, eve.id) == eve
