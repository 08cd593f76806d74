"""Tenants' signing policies, and the JSON form an envelope keeps a snapshot of its policy in."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from undersign.adapters.sql.tables.base import Base, Id
from undersign.domain.policy import Policy, Routing, SignatureLevel, SignerAuth


def policy_to_json(policy: Policy) -> dict[str, Any]:
    return {
        "id": policy.id,
        "tenant_id": policy.tenant_id,
        "name": policy.name,
        "version": policy.version,
        "signature_level": policy.signature_level.value,
        "signer_auth": policy.signer_auth.value,
        "routing_default": policy.routing_default.value,
        "expiry_days": policy.expiry_days,
        "reminder_days": policy.reminder_days,
        "retention_days": policy.retention_days,
        "decline_allowed": policy.decline_allowed,
        "embedded_signing": policy.embedded_signing,
        "consent_text": policy.consent_text,
        "languages": list(policy.languages),
    }


def policy_from_json(data: dict[str, Any]) -> Policy:
    return Policy(
        id=data["id"],
        tenant_id=data["tenant_id"],
        name=data["name"],
        version=data["version"],
        signature_level=SignatureLevel(data["signature_level"]),
        signer_auth=SignerAuth(data["signer_auth"]),
        routing_default=Routing(data["routing_default"]),
        expiry_days=data["expiry_days"],
        reminder_days=data["reminder_days"],
        retention_days=data["retention_days"],
        decline_allowed=data["decline_allowed"],
        embedded_signing=data.get("embedded_signing", False),  # snapshots from before it existed: no
        consent_text=data["consent_text"],
        # Snapshots taken before policies had languages were shown in English only.
        languages=tuple(data.get("languages", ("en",))),
    )


class PolicyRow(Base):
    """A version of a tenant's policy. `default_tenant_id` is set on the tenant's default only.

    A unique nullable column rather than a partial index, which MySQL does not have: every
    server lets any number of rows hold NULL in it.
    """

    __tablename__ = "policies"

    id: Mapped[str] = mapped_column(Id(), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    tenant_id: Mapped[str] = mapped_column(Id(), ForeignKey("tenants.id"), index=True)
    default_tenant_id: Mapped[str | None] = mapped_column(Id(), unique=True)
    name: Mapped[str] = mapped_column(Text)
    signature_level: Mapped[str] = mapped_column(String(16))
    signer_auth: Mapped[str] = mapped_column(String(16))
    routing_default: Mapped[str] = mapped_column(String(16))
    expiry_days: Mapped[int] = mapped_column(Integer)
    reminder_days: Mapped[int] = mapped_column(Integer)
    retention_days: Mapped[int] = mapped_column(Integer)
    decline_allowed: Mapped[bool] = mapped_column(Boolean)
    embedded_signing: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    consent_text: Mapped[str] = mapped_column(Text)
    # Language codes, comma-separated, the fallback first: "en,ar".
    languages: Mapped[str] = mapped_column(String(64), server_default="en")

    @classmethod
    def from_domain(cls, policy: Policy, *, default: bool) -> PolicyRow:
        values = policy_to_json(policy)
        values["languages"] = ",".join(policy.languages)
        return cls(**values, default_tenant_id=policy.tenant_id if default else None)

    def to_domain(self) -> Policy:
        values = {key: getattr(self, key) for key in Policy.__dataclass_fields__}
        values["languages"] = self.languages.split(",")
        return policy_from_json(values)
