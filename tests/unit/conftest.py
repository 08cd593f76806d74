"""Fixtures for the use cases on fakes: the whole platform in memory, and an admin of tenant "acme"."""

from __future__ import annotations

import pytest

from tests.fakes.platform import FakePlatform
from undersign.application.access.permissions import Caller
from undersign.domain.tenant import AccessRole


@pytest.fixture
def platform() -> FakePlatform:
    return FakePlatform()


@pytest.fixture
async def caller(platform: FakePlatform) -> Caller:
    await platform.tenants.create("acme")
    issued = await platform.tenants.create_api_key("acme", AccessRole.ADMIN)
    return await platform.tenants.authenticate(issued.key)
