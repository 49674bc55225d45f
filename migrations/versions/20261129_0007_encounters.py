"""Encounters (diagnoses, service lines, attachments) and CSV intake batches.

All tenant tables: composite primary and foreign keys led by tenant_id, unique
constraints led by tenant_id, ENABLE + FORCE RLS with the tenant policy.
Sealed columns (listed in agency.keys.sealed_columns): encounter.note,
encounter_attachment.filename/content, intake_batch.filename/content,
intake_error.reason. Dates of service are plain on purpose (see
agency.encounters.models).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

from tenants.rls import enable_tenant_rls, practice_fk, tenant_columns, tenant_fk

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)



def upgrade() -> None:
    op.create_table(
        "intake_batch",
        *tenant_columns(),
        sa.Column("agency_id", sa.Uuid, nullable=False),
        sa.Column("filename", sa.LargeBinary),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size_bytes", sa.Integer, nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("final_codes", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("status", sa.Text, nullable=False, server_default="queued"),
        sa.Column("rows_total", sa.Integer, nullable=False),
        sa.Column("rows_done", sa.Integer, nullable=False, server_default="0"),
        sa.Column("rows_imported", sa.Integer, nullable=False, server_default="0"),
        sa.Column("rows_failed", sa.Integer, nullable=False, server_default="0"),
        sa.Column("groups_total", sa.Integer, nullable=False, server_default="0"),
        sa.Column("groups_done", sa.Integer, nullable=False, server_default="0"),
        sa.Column("encounters_created", sa.Integer, nullable=False, server_default="0"),
        sa.Column("duplicates_flagged", sa.Integer, nullable=False, server_default="0"),
        sa.Column("failure", sa.Text),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("created_at", TS, server_default=sa.func.now(), nullable=False),
        sa.Column("started_at", TS),
        sa.Column("finished_at", TS),
        practice_fk("intake_batch"),
        sa.UniqueConstraint("tenant_id", "sha256", name="uq_intake_batch_tenant_id_sha256"),
        sa.CheckConstraint("status IN ('queued', 'running', 'completed', 'failed')", name="status"),
        sa.CheckConstraint("sha256 ~ '^[0-9a-f]{64}$'", name="sha256"),
        sa.CheckConstraint("rows_done <= rows_total AND rows_imported + rows_failed <= rows_done",
                           name="counts"),
    )
    enable_tenant_rls("intake_batch")

    op.create_table(
        "intake_error",
        *tenant_columns(),
        sa.Column("batch_id", sa.Uuid, nullable=False),
        sa.Column("row_number", sa.Integer, nullable=False),
        sa.Column("seq", sa.SmallInteger, nullable=False),
        sa.Column("column_name", sa.Text),
        sa.Column("reason", sa.LargeBinary, nullable=False),
        practice_fk("intake_error"),
        tenant_fk(["batch_id"], "intake_batch", name="fk_intake_error_tenant_id_intake_batch", ondelete="CASCADE"),
        sa.UniqueConstraint("tenant_id", "batch_id", "row_number", "seq",
                            name="uq_intake_error_tenant_id_batch_id_row_number_seq"),
    )
    enable_tenant_rls("intake_error")

    op.create_table(
        "encounter",
        *tenant_columns(),
        sa.Column("patient_id", sa.Uuid, nullable=False),
        sa.Column("rendering_provider_id", sa.Uuid, nullable=False),
        sa.Column("service_location_id", sa.Uuid),
        sa.Column("date_of_service_from", sa.Date, nullable=False),
        sa.Column("date_of_service_to", sa.Date, nullable=False),
        sa.Column("place_of_service", sa.String(2), nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default="to_code"),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("external_id", sa.Text),
        sa.Column("dedup_key", sa.Text, nullable=False),
        sa.Column("duplicate_flag", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("duplicate_of", sa.Uuid),
        sa.Column("intake_batch_id", sa.Uuid),
        sa.Column("note", sa.LargeBinary),
        sa.Column("created_at", TS, server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", TS, server_default=sa.func.now(), nullable=False),
        sa.Column("row_version", sa.Integer, nullable=False, server_default="1"),
        practice_fk("encounter"),
        tenant_fk(["patient_id"], "patient", name="fk_encounter_tenant_id_patient"),
        tenant_fk(["rendering_provider_id"], "rendering_provider", name="fk_encounter_tenant_id_rendering_provider"),
        tenant_fk(["service_location_id"], "service_location", name="fk_encounter_tenant_id_service_location"),
        tenant_fk(["duplicate_of"], "encounter", name="fk_encounter_tenant_id_duplicate_of"),
        tenant_fk(["intake_batch_id"], "intake_batch", name="fk_encounter_tenant_id_intake_batch"),
        sa.CheckConstraint("status IN ('to_code', 'coded', 'billed', 'void')", name="status"),
        sa.CheckConstraint("source IN ('api', 'csv', 'portal')", name="source"),
        sa.CheckConstraint("date_of_service_to >= date_of_service_from", name="dates"),
        sa.CheckConstraint("place_of_service ~ '^[0-9]{2}$'", name="place_of_service"),
        sa.CheckConstraint("external_id IS NULL OR length(external_id) BETWEEN 1 AND 80", name="external_id"),
        sa.CheckConstraint("duplicate_of IS NULL OR duplicate_flag", name="duplicate"),
    )
    op.create_index("uq_encounter_tenant_id_external_id", "encounter", ["tenant_id", "external_id"], unique=True,
                    postgresql_where=sa.text("external_id IS NOT NULL"))
    op.create_index("ix_encounter_tenant_id_dedup_key", "encounter", ["tenant_id", "dedup_key"])
    op.create_index("ix_encounter_tenant_id_patient_id_dos", "encounter",
                    ["tenant_id", "patient_id", "date_of_service_from"])
    op.create_index("ix_encounter_tenant_id_status_dos", "encounter",
                    ["tenant_id", "status", "date_of_service_from", "id"])
    enable_tenant_rls("encounter")

    op.create_table(
        "encounter_diagnosis",
        *tenant_columns(),
        sa.Column("encounter_id", sa.Uuid, nullable=False),
        sa.Column("position", sa.SmallInteger, nullable=False),
        sa.Column("code", sa.Text, nullable=False),
        practice_fk("encounter_diagnosis"),
        tenant_fk(["encounter_id"], "encounter", name="fk_encounter_diagnosis_tenant_id_encounter",
                  ondelete="CASCADE"),
        sa.UniqueConstraint("tenant_id", "encounter_id", "position",
                            name="uq_encounter_diagnosis_tenant_id_encounter_id_position"),
        sa.CheckConstraint("position BETWEEN 1 AND 12", name="position"),
        sa.CheckConstraint("code ~ '^[A-Z][0-9A-Z]{2,6}$'", name="code"),
    )
    enable_tenant_rls("encounter_diagnosis")

    op.create_table(
        "encounter_line",
        *tenant_columns(),
        sa.Column("encounter_id", sa.Uuid, nullable=False),
        sa.Column("line_number", sa.SmallInteger, nullable=False),
        sa.Column("procedure_code", sa.Text, nullable=False),
        sa.Column("modifiers", ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("units", sa.Numeric(9, 3), nullable=False),
        sa.Column("charge", sa.Numeric(12, 2)),
        sa.Column("diagnosis_pointers", ARRAY(sa.SmallInteger), nullable=False),
        sa.Column("ndc", sa.String(11)),
        sa.Column("ndc_unit", sa.String(2)),
        sa.Column("ndc_quantity", sa.Numeric(12, 3)),
        sa.Column("date_of_service", sa.Date, nullable=False),
        practice_fk("encounter_line"),
        tenant_fk(["encounter_id"], "encounter", name="fk_encounter_line_tenant_id_encounter", ondelete="CASCADE"),
        sa.UniqueConstraint("tenant_id", "encounter_id", "line_number",
                            name="uq_encounter_line_tenant_id_encounter_id_line_number"),
        sa.CheckConstraint("line_number BETWEEN 1 AND 50", name="line_number"),
        sa.CheckConstraint("procedure_code ~ '^[0-9A-Z]{5}$'", name="procedure_code"),
        sa.CheckConstraint("cardinality(modifiers) <= 4", name="modifiers"),
        sa.CheckConstraint("units > 0", name="units"),
        sa.CheckConstraint("charge IS NULL OR charge >= 0", name="charge"),
        sa.CheckConstraint("cardinality(diagnosis_pointers) BETWEEN 1 AND 4 "
                           "AND 1 <= ALL(diagnosis_pointers) AND 12 >= ALL(diagnosis_pointers)",
                           name="diagnosis_pointers"),
        sa.CheckConstraint("ndc IS NULL OR ndc ~ '^[0-9]{11}$'", name="ndc"),
        sa.CheckConstraint("ndc_unit IS NULL OR ndc_unit IN ('F2', 'GR', 'ME', 'ML', 'UN')", name="ndc_unit"),
        sa.CheckConstraint("(ndc IS NULL) = (ndc_unit IS NULL) AND (ndc IS NULL) = (ndc_quantity IS NULL)",
                           name="ndc_complete"),
    )
    enable_tenant_rls("encounter_line")

    op.create_table(
        "encounter_attachment",
        *tenant_columns(),
        sa.Column("encounter_id", sa.Uuid, nullable=False),
        sa.Column("filename", sa.LargeBinary, nullable=False),
        sa.Column("content_type", sa.Text, nullable=False),
        sa.Column("size_bytes", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("created_at", TS, server_default=sa.func.now(), nullable=False),
        practice_fk("encounter_attachment"),
        tenant_fk(["encounter_id"], "encounter", name="fk_encounter_attachment_tenant_id_encounter",
                  ondelete="CASCADE"),
        sa.CheckConstraint("size_bytes >= 0", name="size_bytes"),
    )
    op.create_index("ix_encounter_attachment_tenant_id_encounter_id", "encounter_attachment",
                    ["tenant_id", "encounter_id"])
    enable_tenant_rls("encounter_attachment")


def downgrade() -> None:
    for table in ("encounter_attachment", "encounter_line", "encounter_diagnosis", "encounter", "intake_error",
                  "intake_batch"):
        op.drop_table(table)
