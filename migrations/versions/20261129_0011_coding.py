"""Coding workflow: code-change history and coder queries to the practice.

Revision ID: 0011
Revises: 0007
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from tenants.rls import enable_tenant_rls, practice_fk, tenant_columns, tenant_fk

revision = "0011"
down_revision = "0007"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)



def upgrade() -> None:
    # One row per change of an encounter's codes. The first row's `before` holds the
    # codes as the practice sent them (the originals); the encounter rows hold the
    # final codes. Codes alone are not identifying; the free-text reason may be, so it
    # is sealed.
    op.create_table(
        "coding_change",
        *tenant_columns(),
        sa.Column("encounter_id", sa.Uuid, nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("actor_role", sa.Text, nullable=False),
        sa.Column("changed_at", TS, server_default=sa.func.now(), nullable=False),
        sa.Column("before", JSONB, nullable=False),
        sa.Column("after", JSONB, nullable=False),
        sa.Column("reason", sa.LargeBinary, nullable=False),
        practice_fk("coding_change"),
        tenant_fk(["encounter_id"], "encounter", name="fk_coding_change_tenant_id_encounter", ondelete="CASCADE"),
        sa.UniqueConstraint("tenant_id", "encounter_id", "seq", name="uq_coding_change_tenant_id_encounter_id_seq"),
    )
    enable_tenant_rls("coding_change")

    op.create_table(
        "coding_query",
        *tenant_columns(),
        sa.Column("encounter_id", sa.Uuid, nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default="open"),
        sa.Column("opened_by", sa.Text, nullable=False),
        sa.Column("opened_at", TS, server_default=sa.func.now(), nullable=False),
        sa.Column("closed_at", TS),
        practice_fk("coding_query"),
        tenant_fk(["encounter_id"], "encounter", name="fk_coding_query_tenant_id_encounter", ondelete="CASCADE"),
        sa.CheckConstraint("status IN ('open', 'answered', 'closed')", name="status"),
    )
    op.create_index("ix_coding_query_tenant_id_status", "coding_query", ["tenant_id", "status", "opened_at"])
    enable_tenant_rls("coding_query")

    op.create_table(
        "coding_query_message",
        *tenant_columns(),
        sa.Column("query_id", sa.Uuid, nullable=False),
        sa.Column("author", sa.Text, nullable=False),
        sa.Column("author_role", sa.Text, nullable=False),
        sa.Column("body", sa.LargeBinary, nullable=False),
        sa.Column("created_at", TS, server_default=sa.func.now(), nullable=False),
        practice_fk("coding_query_message"),
        tenant_fk(["query_id"], "coding_query", name="fk_coding_query_message_tenant_id_coding_query",
                  ondelete="CASCADE"),
    )
    op.create_index("ix_coding_query_message_tenant_id_query_id", "coding_query_message",
                    ["tenant_id", "query_id", "created_at"])
    enable_tenant_rls("coding_query_message")


def downgrade() -> None:
    for table in ("coding_query_message", "coding_query", "coding_change"):
        op.drop_table(table)
