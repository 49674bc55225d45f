"""Scrubber: per-payer rule configuration, NCCI PTP and MUE reference tables,
stored scrub results.

* ``scrubber_rule_config`` is agency-level (agency policy on ``app.current_agency``).
  ``payer_id`` NULL means "every payer". It is a plain uuid column with no FK:
  the payer directory is built in a parallel migration branch; the service
  checks the payer. Uniqueness of (agency, payer, rule) with a NULL payer needs
  two partial unique indexes (a plain UNIQUE treats NULLs as distinct).
* ``ncci_ptp_edit`` and ``mue_limit`` are shared reference data (CMS, public):
  no tenant_id, no RLS; the runtime and system roles may only read them (loads
  run as the owner through ``agency scrubber load-ncci`` / ``load-mue``), like
  the code-set tables of 0004.
* ``scrub_result`` is a tenant table: one row per finding of the latest run for
  a claim. ``claim_id`` has no FK yet: the claim table comes in a later
  migration, which should add ``(tenant_id, claim_id) -> claim(tenant_id, id)``.
  Messages never contain PHI values.

Revision ID: 0009
Revises: 0005
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from tenants.rls import enable_agency_rls, enable_tenant_rls, make_reference_read_only, tenant_columns

revision = "0009"
down_revision = "0005"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
SEVERITY = "severity IN ('error', 'warning', 'info')"
REFERENCE_TABLES = ("ncci_ptp_edit", "mue_limit")



def upgrade() -> None:
    op.create_table(
        "scrubber_rule_config",
        sa.Column("agency_id", sa.Uuid, nullable=False),
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("payer_id", sa.Uuid),  # NULL = all payers; no FK (payer table: parallel branch)
        sa.Column("rule_id", sa.Text, nullable=False),
        sa.Column("enabled", sa.Boolean),  # NULL = inherit
        sa.Column("severity", sa.Text),  # NULL = inherit
        sa.Column("params", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("updated_by", sa.Uuid),
        sa.Column("updated_at", TS, server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("agency_id", "id", name="pk_scrubber_rule_config"),
        sa.ForeignKeyConstraint(["agency_id"], ["agency.id"], name="fk_scrubber_rule_config_agency_id_agency"),
        sa.CheckConstraint(f"severity IS NULL OR {SEVERITY}", name="ck_scrubber_rule_config_severity"),
        sa.CheckConstraint("rule_id ~ '^[A-Z0-9-]{2,60}$'", name="ck_scrubber_rule_config_rule_id"),
        sa.CheckConstraint("jsonb_typeof(params) = 'object'", name="ck_scrubber_rule_config_params"),
    )
    op.create_index("uq_scrubber_rule_config_payer", "scrubber_rule_config", ["agency_id", "payer_id", "rule_id"],
                    unique=True, postgresql_where=sa.text("payer_id IS NOT NULL"))
    op.create_index("uq_scrubber_rule_config_all_payers", "scrubber_rule_config", ["agency_id", "rule_id"],
                    unique=True, postgresql_where=sa.text("payer_id IS NULL"))
    enable_agency_rls("scrubber_rule_config")

    op.create_table(
        "ncci_ptp_edit",
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("column1", sa.Text, nullable=False),
        sa.Column("column2", sa.Text, nullable=False),
        sa.Column("effective_date", sa.Date, nullable=False),
        sa.Column("deletion_date", sa.Date),  # the edit no longer applies from this date; NULL = in force
        sa.Column("modifier_indicator", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("kind", "column1", "column2", "effective_date", name="pk_ncci_ptp_edit"),
        sa.CheckConstraint("kind IN ('practitioner', 'hospital')", name="ck_ncci_ptp_edit_kind"),
        sa.CheckConstraint("modifier_indicator IN ('0', '1', '9')", name="ck_ncci_ptp_edit_modifier_indicator"),
        sa.CheckConstraint("deletion_date IS NULL OR deletion_date >= effective_date",
                           name="ck_ncci_ptp_edit_dates"),
    )
    op.create_table(
        "mue_limit",
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("code", sa.Text, nullable=False),
        sa.Column("effective_from", sa.Date, nullable=False),
        sa.Column("effective_to", sa.Date),  # NULL = until a newer quarter is loaded
        sa.Column("mue_value", sa.Integer, nullable=False),
        sa.Column("mai", sa.SmallInteger, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("kind", "code", "effective_from", name="pk_mue_limit"),
        sa.CheckConstraint("kind IN ('practitioner', 'hospital', 'dme')", name="ck_mue_limit_kind"),
        sa.CheckConstraint("mai IN (1, 2, 3)", name="ck_mue_limit_mai"),
        sa.CheckConstraint("mue_value >= 0", name="ck_mue_limit_mue_value"),
        sa.CheckConstraint("effective_to IS NULL OR effective_to >= effective_from", name="ck_mue_limit_dates"),
    )
    for table in REFERENCE_TABLES:
        make_reference_read_only(table)

    op.create_table(
        "scrub_result",
        *tenant_columns(),
        sa.Column("claim_id", sa.Uuid, nullable=False),  # no FK yet: the claim table comes later
        sa.Column("run_at", TS, nullable=False),
        sa.Column("rule_id", sa.Text, nullable=False),
        sa.Column("rule_version", sa.Integer, nullable=False),
        sa.Column("severity", sa.Text, nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("field", sa.Text),
        sa.Column("line_number", sa.Integer),
        sa.Column("acknowledged_by", sa.Uuid),
        sa.Column("acknowledged_at", TS),
        sa.ForeignKeyConstraint(["tenant_id"], ["practice.id"], name="fk_scrub_result_tenant_id_practice"),
        sa.CheckConstraint(SEVERITY, name="ck_scrub_result_severity"),
        sa.CheckConstraint("acknowledged_at IS NULL OR severity <> 'error'", name="ck_scrub_result_ack_not_error"),
        sa.CheckConstraint("(acknowledged_by IS NULL) = (acknowledged_at IS NULL)", name="ck_scrub_result_ack"),
    )
    op.create_index("ix_scrub_result_tenant_id_claim_id", "scrub_result", ["tenant_id", "claim_id"])
    enable_tenant_rls("scrub_result")


def downgrade() -> None:
    op.drop_table("scrub_result")
    op.drop_table("mue_limit")
    op.drop_table("ncci_ptp_edit")
    op.drop_table("scrubber_rule_config")
