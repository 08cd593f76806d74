"""A real stack for end-to-end tests: SQLite and files in a temporary data directory,
the real PDF signer, and the Litestar app, driven in process over HTTP."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient

from adapters.sql import migrate
from entrypoints.container import build_container
from entrypoints.http.app import create_app
from entrypoints.settings import Settings
from domain.tenant import ApiKeyRole


@dataclass
class Stack:
    client: AsyncTestClient
    settings: Settings
    headers: dict[str, str]

    @property
    def trust_root(self) -> Path:
        return self.settings.pki_dir / "root-ca.pem"


def settings_for(data_dir: Path) -> Settings:
    return Settings.from_env({"UNDERSIGN_DATA_DIR": str(data_dir), "UNDERSIGN_PUBLIC_URL": "https://sign.example.test"})


@pytest.fixture
async def stack(tmp_path: Path):
    settings = settings_for(tmp_path / "data")
    settings.data_dir.mkdir(parents=True)
    migrate.upgrade(settings.database_url)
    container = build_container(settings)
    tenants = container.use_cases.tenants()
    await tenants.create("acme")
    issued = await tenants.create_api_key("acme", ApiKeyRole.ADMIN)
    async with AsyncTestClient(app=create_app(container)) as client:
        yield Stack(client=client, settings=settings, headers={"Authorization": f"Bearer {issued.key}"})
