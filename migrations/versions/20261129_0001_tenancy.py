"""Agencies, practices (tenants) and the first tenant tables.

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

from tenants.rls import enable_agency_rls, enable_tenant_rls, tenant_columns, tenant_fk

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agency",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("slug", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.UniqueConstraint("slug", name="uq_agency_slug"),
    )
    enable_agency_rls("agency", column="id")

    op.create_table(
        "practice",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("agency_id", sa.Uuid, sa.ForeignKey("agency.id", name="fk_practice_agency_id_agency"),
                  nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default="active"),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.UniqueConstraint("agency_id", "name", name="uq_practice_agency_id_name"),
        sa.CheckConstraint("status IN ('active', 'offboarding', 'offboarded')", name="status"),
    )
    enable_agency_rls("practice")

    op.create_table(
        "service_location",
        *tenant_columns(),
        sa.Column("code", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("place_of_service", sa.String(2), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["practice.id"], name="fk_service_location_tenant_id_practice"),
        sa.UniqueConstraint("tenant_id", "code", name="uq_service_location_tenant_id_code"),
    )
    enable_tenant_rls("service_location")

    op.create_table(
        "rendering_provider",
        *tenant_columns(),
        sa.Column("npi", sa.String(10), nullable=False),
        sa.Column("first_name", sa.Text, nullable=False),
        sa.Column("last_name", sa.Text, nullable=False),
        sa.Column("taxonomy", sa.String(10)),
        sa.Column("default_location_id", sa.Uuid),
        sa.ForeignKeyConstraint(["tenant_id"], ["practice.id"], name="fk_rendering_provider_tenant_id_practice"),
        tenant_fk(["default_location_id"], "service_location",
                  name="fk_rendering_provider_tenant_id_service_location"),
        sa.UniqueConstraint("tenant_id", "npi", name="uq_rendering_provider_tenant_id_npi"),
    )
    enable_tenant_rls("rendering_provider")


def downgrade() -> None:
    op.drop_table("rendering_provider")
    op.drop_table("service_location")
    op.drop_table("practice")
    op.drop_table("agency")
