"""Code sets: effective-dated releases of ICD-10-CM, HCPCS Level II, CPT numbers,
place-of-service and modifier codes.

Shared reference data (neither PHI nor tenant data): no tenant_id, so no RLS.
The runtime and system roles may only read these tables. Default privileges
(tenants.roles.bootstrap) grant them INSERT/UPDATE/DELETE on every new table, so
this migration revokes those: reference data is changed only by operators, who
load releases as the owner role through ``agency codes load ...``. A bug or an
injection in the API can then never alter which codes are accepted on claims.

Revision ID: 0004
Revises: 0002
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from tenants.rls import make_reference_read_only

revision = "0004"
down_revision = "0002"
branch_labels = None
depends_on = None

TABLES = ("code_set_release", "code_set_entry")


def upgrade() -> None:
    op.create_table(
        "code_set_release",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("system", sa.Text, nullable=False),
        sa.Column("version", sa.Text, nullable=False),
        sa.Column("effective_from", sa.Date, nullable=False),
        sa.Column("effective_to", sa.Date),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("sha256", sa.Text),
        sa.Column("licence", sa.Text, nullable=False),
        sa.Column("bundled", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("notes", sa.Text),
        sa.Column("row_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("billable_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("loaded_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_code_set_release"),
        sa.UniqueConstraint("system", "version", name="uq_code_set_release_system_version"),
        sa.CheckConstraint("system IN ('icd10cm', 'hcpcs', 'cpt', 'pos', 'modifier')",
                           name="ck_code_set_release_system"),
        sa.CheckConstraint("effective_to IS NULL OR effective_to >= effective_from",
                           name="ck_code_set_release_dates"),
    )
    op.create_table(
        "code_set_entry",
        sa.Column("release_id", sa.Uuid, nullable=False),
        sa.Column("code", sa.Text, nullable=False),
        sa.Column("system", sa.Text, nullable=False),
        sa.Column("billable", sa.Boolean, nullable=False),
        sa.Column("short_desc", sa.Text),
        sa.Column("long_desc", sa.Text),
        sa.Column("valid_from", sa.Date),
        sa.Column("valid_to", sa.Date),
        sa.Column("attrs", JSONB),
        sa.PrimaryKeyConstraint("release_id", "code", name="pk_code_set_entry"),
        sa.ForeignKeyConstraint(["release_id"], ["code_set_release.id"], ondelete="CASCADE",
                                name="fk_code_set_entry_release_id_code_set_release"),
    )
    op.create_index("ix_code_set_entry_system_code", "code_set_entry", ["system", "code"])
    for table in TABLES:
        make_reference_read_only(table)


def downgrade() -> None:
    op.drop_index("ix_code_set_entry_system_code", table_name="code_set_entry")
    op.drop_table("code_set_entry")
    op.drop_table("code_set_release")
