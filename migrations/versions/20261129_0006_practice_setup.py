"""Practice setup: the agency payer directory, billing providers, service-location
addresses, payer enrollments and fee schedules.

``payer`` is agency-level reference data (agency policy on ``app.current_agency``;
no PHI). The other tables are tenant tables (composite keys, tenant policy).
``patient_coverage.payer_id`` and ``payer_enrollment.payer_id`` reference
``payer(id)`` with a plain FK: payer is not a tenant table, and the services
check that the payer belongs to the practice's agency.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

from tenants.rls import enable_agency_rls, enable_tenant_rls, practice_fk, tenant_columns, tenant_fk

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
ZIP = r"^[0-9]{5}([0-9]{4})?$"
STATE = r"^[A-Z]{2}$"



def upgrade() -> None:
    op.create_table(
        "payer",
        sa.Column("agency_id", sa.Uuid, sa.ForeignKey("agency.id", name="fk_payer_agency_id_agency"),
                  nullable=False),
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("payer_code", sa.Text, nullable=False),  # X12 payer id (2010BB NM109), e.g. 87726
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("claim_type", sa.Text, nullable=False),
        sa.Column("clearinghouse_route", sa.Text),
        sa.Column("timely_filing_days", sa.Integer, nullable=False, server_default="365"),
        sa.Column("corrected_claim_needs_payer_claim_number", sa.Boolean, nullable=False,
                  server_default=sa.true()),
        sa.Column("filing_indicator", sa.Text, nullable=False, server_default="CI"),  # SBR09
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("created_at", TS, server_default=sa.func.now(), nullable=False),
        sa.UniqueConstraint("agency_id", "payer_code", name="uq_payer_agency_id_payer_code"),
        sa.CheckConstraint("claim_type IN ('professional', 'institutional')", name="claim_type"),
        sa.CheckConstraint("timely_filing_days > 0", name="timely_filing_days"),
        sa.CheckConstraint("length(payer_code) BETWEEN 2 AND 80", name="payer_code"),
        sa.CheckConstraint("filing_indicator ~ '^[0-9A-Z]{2}$'", name="filing_indicator"),
    )
    enable_agency_rls("payer")

    op.create_table(
        "billing_provider",
        *tenant_columns(),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("npi", sa.String(10), nullable=False),
        sa.Column("tin", sa.String(9), nullable=False),  # EIN of the practice: not patient PHI
        sa.Column("taxonomy", sa.String(10)),
        sa.Column("address_line1", sa.Text, nullable=False),
        sa.Column("address_line2", sa.Text),
        sa.Column("city", sa.Text, nullable=False),
        sa.Column("state", sa.String(2), nullable=False),
        sa.Column("zip", sa.String(9), nullable=False),
        sa.Column("phone", sa.Text),
        sa.Column("is_default", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_at", TS, server_default=sa.func.now(), nullable=False),
        practice_fk("billing_provider"),
        sa.UniqueConstraint("tenant_id", "npi", name="uq_billing_provider_tenant_id_npi"),
        sa.CheckConstraint("npi ~ '^[0-9]{10}$'", name="npi"),
        sa.CheckConstraint("tin ~ '^[0-9]{9}$'", name="tin"),
        sa.CheckConstraint("taxonomy IS NULL OR taxonomy ~ '^[0-9A-Z]{9}X$'", name="taxonomy"),
        sa.CheckConstraint(f"state ~ '{STATE}'", name="state"),
        sa.CheckConstraint(f"zip ~ '{ZIP}'", name="zip"),
    )
    # At most one default billing provider per practice.
    op.create_index("uq_billing_provider_one_default", "billing_provider", ["tenant_id"], unique=True,
                    postgresql_where=sa.text("is_default"))
    enable_tenant_rls("billing_provider")

    for name, type_ in (("address_line1", sa.Text), ("address_line2", sa.Text), ("city", sa.Text),
                        ("state", sa.String(2)), ("zip", sa.String(9)), ("npi", sa.String(10))):
        op.add_column("service_location", sa.Column(name, type_))
    op.create_check_constraint(op.f("ck_service_location_state"), "service_location",
                               f"state IS NULL OR state ~ '{STATE}'")
    op.create_check_constraint(op.f("ck_service_location_zip"), "service_location", f"zip IS NULL OR zip ~ '{ZIP}'")
    op.create_check_constraint(op.f("ck_service_location_npi"), "service_location", "npi IS NULL OR npi ~ '^[0-9]{10}$'")

    op.create_table(
        "payer_enrollment",
        *tenant_columns(),
        sa.Column("payer_id", sa.Uuid, sa.ForeignKey("payer.id", name="fk_payer_enrollment_payer_id_payer"),
                  nullable=False),
        sa.Column("billing_provider_id", sa.Uuid, nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default="pending"),
        sa.Column("effective_from", sa.Date),
        sa.Column("effective_to", sa.Date),
        sa.Column("era_enrolled", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_at", TS, server_default=sa.func.now(), nullable=False),
        practice_fk("payer_enrollment"),
        tenant_fk(["billing_provider_id"], "billing_provider",
                  name="fk_payer_enrollment_tenant_id_billing_provider"),
        sa.UniqueConstraint("tenant_id", "payer_id", "billing_provider_id",
                            name="uq_payer_enrollment_tenant_id_payer_id_billing_provider_id"),
        sa.CheckConstraint("status IN ('pending', 'active', 'terminated')", name="status"),
        sa.CheckConstraint("effective_to IS NULL OR effective_from IS NULL OR effective_to >= effective_from",
                           name="dates"),
    )
    enable_tenant_rls("payer_enrollment")

    op.create_table(
        "fee_schedule_entry",
        *tenant_columns(),
        sa.Column("procedure_code", sa.Text, nullable=False),
        sa.Column("modifier", sa.Text, nullable=False, server_default=""),
        sa.Column("amount", sa.Numeric(12, 2), nullable=False),
        sa.Column("effective_from", sa.Date, nullable=False),
        sa.Column("effective_to", sa.Date),
        sa.Column("created_at", TS, server_default=sa.func.now(), nullable=False),
        practice_fk("fee_schedule_entry"),
        sa.UniqueConstraint("tenant_id", "procedure_code", "modifier", "effective_from",
                            name="uq_fee_schedule_entry_tenant_id_code_modifier_from"),
        sa.CheckConstraint("amount >= 0", name="amount"),
        sa.CheckConstraint("effective_to IS NULL OR effective_to >= effective_from",
                           name="dates"),
    )
    enable_tenant_rls("fee_schedule_entry")

    op.create_foreign_key("fk_patient_coverage_payer_id_payer", "patient_coverage", "payer",
                          ["payer_id"], ["id"])


def downgrade() -> None:
    op.drop_constraint("fk_patient_coverage_payer_id_payer", "patient_coverage", type_="foreignkey")
    op.drop_table("fee_schedule_entry")
    op.drop_table("payer_enrollment")
    for name in ("ck_service_location_npi", "ck_service_location_zip", "ck_service_location_state"):
        op.drop_constraint(op.f(name), "service_location", type_="check")
    for name in ("npi", "zip", "state", "city", "address_line2", "address_line1"):
        op.drop_column("service_location", name)
    op.drop_table("billing_provider")
    op.drop_table("payer")
