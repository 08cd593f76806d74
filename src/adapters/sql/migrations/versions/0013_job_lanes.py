"""Job lanes: the seal never waits behind emails, webhooks and certificates of completion.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03

- `jobs.lane`: which runners take a job (`urgent` or `routine`); the jobs already queued are routine.
- `ix_jobs_lane_run_at (lane, run_at, id)` replaces `ix_jobs_run_at`: a runner claims the due
  jobs of its own lane, earliest first, along it.

Self-contained like the earlier revisions, and portable across SQLite, PostgreSQL and MySQL/MariaDB;
the column is added through batch mode, which rebuilds the table on SQLite.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("lane", sa.String(16), nullable=False, server_default="routine"))
        batch.drop_index("ix_jobs_run_at")
        batch.create_index("ix_jobs_lane_run_at", ["lane", "run_at", "id"])


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_index("ix_jobs_lane_run_at")
        batch.create_index("ix_jobs_run_at", ["run_at", "id"])
        batch.drop_column("lane")
