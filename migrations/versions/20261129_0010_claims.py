"""Claims, their history, and submission runs (837 interchanges, inbound acknowledgements).

Tenant tables (composite keys, RLS on app.current_tenant): claim, claim_line,
claim_event (append-only: an UPDATE trigger refuses changes), submission_claim,
ack_outcome.

Agency-level, PHI-free tables (RLS on app.current_agency), used by the inbound
router before any practice is known:

* claim_number: CLM01 (our patient control number) -> practice. CLM01 comes from
  the global sequence claim_number_seq rendered in base 32, so it is opaque.
* envelope_counter: next ISA13/GS06/ST02 per envelope identity (sender, receiver);
  practices that share a submitter id share one sequence.
* interchange: every 837 file we built: control numbers, practice, connection,
  transmission status. UNIQUE (sender_id, receiver_id, isa13).
* inbound_file: every downloaded acknowledgement/remittance file, stored once per
  content hash (content sealed under the agency's own key).

Agency tables name the practice ``practice_id`` (never ``tenant_id``: that name marks
a tenant table for the catalog checks).

Revision ID: 0010
Revises: 0007, 0008, 0009
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from tenants.rls import enable_agency_rls, enable_tenant_rls, practice_fk, tenant_columns, tenant_fk

revision = "0010"
down_revision = ("0007", "0008", "0009")
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)

CLAIM_STATES = ("draft", "held", "ready", "queued", "submitted", "ack_rejected", "accepted_ch", "rejected",
                "accepted_payer", "adjudicated_paid", "adjudicated_partial", "adjudicated_denied",
                "replaced", "voided")



def upgrade() -> None:
    op.execute("CREATE SEQUENCE claim_number_seq START WITH 1048576")  # 5 base-32 digits from the start

    op.create_table(
        "claim_number",
        sa.Column("pcn", sa.String(17), primary_key=True),
        sa.Column("agency_id", sa.Uuid, sa.ForeignKey("agency.id", name="fk_claim_number_agency_id_agency"),
                  nullable=False),
        sa.Column("practice_id", sa.Uuid, sa.ForeignKey("practice.id", name="fk_claim_number_practice_id_practice"),
                  nullable=False),
        sa.Column("created_at", TS, server_default=sa.func.now(), nullable=False),
    )
    enable_agency_rls("claim_number")

    op.create_table(
        "claim",
        *tenant_columns(),
        sa.Column("encounter_id", sa.Uuid, nullable=False),
        sa.Column("patient_id", sa.Uuid, nullable=False),
        sa.Column("coverage_id", sa.Uuid, nullable=False),
        sa.Column("payer_id", sa.Uuid, sa.ForeignKey("payer.id", name="fk_claim_payer_id_payer"), nullable=False),
        sa.Column("billing_provider_id", sa.Uuid, nullable=False),
        sa.Column("rendering_provider_id", sa.Uuid, nullable=False),
        sa.Column("service_location_id", sa.Uuid),
        sa.Column("sequence", sa.SmallInteger, nullable=False),
        sa.Column("kind", sa.String(4), nullable=False),
        sa.Column("pcn", sa.String(17), nullable=False),
        sa.Column("revision", sa.SmallInteger, nullable=False, server_default="0"),
        sa.Column("original_claim_id", sa.Uuid),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("frequency", sa.String(1), nullable=False, server_default="1"),
        sa.Column("payer_claim_number", sa.Text),
        sa.Column("place_of_service", sa.String(2), nullable=False),
        sa.Column("diagnoses", ARRAY(sa.Text), nullable=False),
        sa.Column("date_of_service_from", sa.Date, nullable=False),
        sa.Column("date_of_service_to", sa.Date, nullable=False),
        sa.Column("total_charge", sa.Numeric(12, 2), nullable=False),
        sa.Column("hold_reasons", JSONB, nullable=False, server_default="[]"),
        sa.Column("warnings", JSONB, nullable=False, server_default="[]"),
        sa.Column("warnings_acknowledged_by", sa.Text),
        sa.Column("submission_attempt", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_reason", sa.Text),
        sa.Column("created_at", TS, server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", TS, server_default=sa.func.now(), nullable=False),
        sa.Column("row_version", sa.Integer, nullable=False, server_default="1"),
        practice_fk("claim"),
        tenant_fk(["encounter_id"], "encounter", name="fk_claim_tenant_id_encounter"),
        tenant_fk(["patient_id"], "patient", name="fk_claim_tenant_id_patient"),
        tenant_fk(["coverage_id"], "patient_coverage", name="fk_claim_tenant_id_patient_coverage"),
        tenant_fk(["billing_provider_id"], "billing_provider", name="fk_claim_tenant_id_billing_provider"),
        tenant_fk(["rendering_provider_id"], "rendering_provider", name="fk_claim_tenant_id_rendering_provider"),
        tenant_fk(["service_location_id"], "service_location", name="fk_claim_tenant_id_service_location"),
        tenant_fk(["original_claim_id"], "claim", name="fk_claim_tenant_id_original_claim"),
        sa.UniqueConstraint("tenant_id", "pcn", "revision", name="uq_claim_tenant_id_pcn_revision"),
        sa.CheckConstraint(f"state IN {CLAIM_STATES!r}", name="state"),
        sa.CheckConstraint("kind IN ('837P', '837I')", name="kind"),
        sa.CheckConstraint("frequency IN ('1', '7', '8')", name="frequency"),
        sa.CheckConstraint("sequence BETWEEN 1 AND 3", name="sequence"),
        sa.CheckConstraint("pcn ~ '^[0-9A-Z]{1,17}$'", name="pcn"),
        sa.CheckConstraint("frequency = '1' OR original_claim_id IS NOT NULL", name="original"),
    )
    # One original claim per encounter and coverage sequence (building twice is harmless).
    op.create_index("uq_claim_original_per_encounter", "claim", ["tenant_id", "encounter_id", "sequence"],
                    unique=True, postgresql_where=sa.text("revision = 0"))
    op.create_index("ix_claim_tenant_id_state", "claim", ["tenant_id", "state"])
    enable_tenant_rls("claim")

    op.create_table(
        "claim_line",
        *tenant_columns(),
        sa.Column("claim_id", sa.Uuid, nullable=False),
        sa.Column("line_number", sa.SmallInteger, nullable=False),
        sa.Column("line_control_number", sa.String(30), nullable=False),
        sa.Column("procedure_code", sa.Text, nullable=False),
        sa.Column("revenue_code", sa.String(4)),
        sa.Column("modifiers", ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("units", sa.Numeric(9, 3), nullable=False),
        sa.Column("charge", sa.Numeric(12, 2), nullable=False),
        sa.Column("diagnosis_pointers", ARRAY(sa.SmallInteger), nullable=False, server_default="{}"),
        sa.Column("date_of_service", sa.Date, nullable=False),
        sa.Column("ndc", sa.String(11)),
        sa.Column("ndc_unit", sa.String(2)),
        sa.Column("ndc_quantity", sa.Numeric(12, 3)),
        practice_fk("claim_line"),
        tenant_fk(["claim_id"], "claim", name="fk_claim_line_tenant_id_claim", ondelete="CASCADE"),
        sa.UniqueConstraint("tenant_id", "claim_id", "line_number", name="uq_claim_line_tenant_id_claim_id_line_number"),
        sa.UniqueConstraint("tenant_id", "claim_id", "line_control_number",
                            name="uq_claim_line_tenant_id_claim_id_line_control_number"),
    )
    enable_tenant_rls("claim_line")

    op.create_table(
        "envelope_counter",
        sa.Column("agency_id", sa.Uuid, sa.ForeignKey("agency.id", name="fk_envelope_counter_agency_id_agency"),
                  primary_key=True),
        sa.Column("sender_id", sa.Text, primary_key=True),
        sa.Column("receiver_id", sa.Text, primary_key=True),
        sa.Column("next_isa13", sa.BigInteger, nullable=False, server_default="1"),
        sa.Column("next_gs06", sa.BigInteger, nullable=False, server_default="1"),
        sa.Column("next_st02", sa.BigInteger, nullable=False, server_default="1"),
        sa.CheckConstraint("next_isa13 BETWEEN 1 AND 999999999", name="isa13"),
    )
    enable_agency_rls("envelope_counter")

    op.create_table(
        "interchange",
        sa.Column("agency_id", sa.Uuid, sa.ForeignKey("agency.id", name="fk_interchange_agency_id_agency"),
                  nullable=False),
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("practice_id", sa.Uuid, sa.ForeignKey("practice.id", name="fk_interchange_practice_id_practice"),
                  nullable=False),
        sa.Column("connection_id", sa.Uuid, sa.ForeignKey(
            "clearinghouse_connection.id", name="fk_interchange_connection_id_clearinghouse_connection"),
            nullable=False),
        sa.Column("kind", sa.String(4), nullable=False),
        sa.Column("sender_id", sa.Text, nullable=False),
        sa.Column("receiver_id", sa.Text, nullable=False),
        sa.Column("isa13", sa.BigInteger, nullable=False),
        sa.Column("gs06", sa.BigInteger, nullable=False),
        sa.Column("st02_first", sa.BigInteger, nullable=False),
        sa.Column("st02_last", sa.BigInteger, nullable=False),
        sa.Column("batch_id", sa.Text, nullable=False),  # BHT03
        sa.Column("edi_file_id", sa.Uuid, nullable=False),  # edi_file(tenant_id = practice_id, id)
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("claim_count", sa.Integer, nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default="built"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text),
        sa.Column("next_attempt_at", TS),
        sa.Column("remote_name", sa.Text),
        sa.Column("ack_status", sa.Text),  # TA1/999 outcome for the file: accepted, partial, rejected
        sa.Column("created_at", TS, server_default=sa.func.now(), nullable=False),
        sa.Column("transmitted_at", TS),
        sa.UniqueConstraint("sender_id", "receiver_id", "isa13", name="uq_interchange_sender_id_receiver_id_isa13"),
        sa.CheckConstraint("status IN ('built', 'transmitting', 'transmitted', 'failed', 'parked')", name="status"),
        sa.CheckConstraint("kind IN ('837P', '837I')", name="kind"),
    )
    op.create_index("ix_interchange_agency_id_status", "interchange", ["agency_id", "status"])
    op.create_index("ix_interchange_connection_id_gs06", "interchange", ["connection_id", "gs06"])
    enable_agency_rls("interchange")

    op.create_table(
        "submission_claim",
        *tenant_columns(),
        sa.Column("interchange_id", sa.Uuid, sa.ForeignKey("interchange.id", name="fk_submission_claim_interchange_id_interchange"),
                  nullable=False),
        sa.Column("edi_file_id", sa.Uuid, nullable=False),
        sa.Column("claim_id", sa.Uuid, nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("st02", sa.BigInteger, nullable=False),
        sa.Column("created_at", TS, server_default=sa.func.now(), nullable=False),
        practice_fk("submission_claim"),
        tenant_fk(["claim_id"], "claim", name="fk_submission_claim_tenant_id_claim"),
        tenant_fk(["edi_file_id"], "edi_file", name="fk_submission_claim_tenant_id_edi_file"),
        sa.UniqueConstraint("tenant_id", "claim_id", "attempt", name="uq_submission_claim_tenant_id_claim_id_attempt"),
    )
    op.create_index("ix_submission_claim_interchange_id", "submission_claim", ["tenant_id", "interchange_id"])
    enable_tenant_rls("submission_claim")

    op.create_table(
        "inbound_file",
        sa.Column("agency_id", sa.Uuid, sa.ForeignKey("agency.id", name="fk_inbound_file_agency_id_agency"),
                  nullable=False),
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("connection_id", sa.Uuid, sa.ForeignKey(
            "clearinghouse_connection.id", name="fk_inbound_file_connection_id_clearinghouse_connection"),
            nullable=False),
        sa.Column("remote_name", sa.Text, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size_bytes", sa.Integer, nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),  # sealed under the agency key
        sa.Column("kind", sa.Text),  # TA1, 999, 277CA, 835, unknown
        sa.Column("status", sa.Text, nullable=False, server_default="received"),
        sa.Column("park_reason", sa.Text),
        sa.Column("practice_ids", ARRAY(sa.Uuid), nullable=False, server_default="{}"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("received_at", TS, server_default=sa.func.now(), nullable=False),
        sa.Column("routed_at", TS),
        sa.UniqueConstraint("agency_id", "sha256", name="uq_inbound_file_agency_id_sha256"),
        sa.CheckConstraint("status IN ('received', 'routed', 'parked')", name="status"),
    )
    op.create_index("ix_inbound_file_agency_id_status", "inbound_file", ["agency_id", "status"])
    enable_agency_rls("inbound_file")

    op.create_table(
        "ack_outcome",
        *tenant_columns(),
        sa.Column("inbound_file_id", sa.Uuid, sa.ForeignKey("inbound_file.id", name="fk_ack_outcome_inbound_file_id_inbound_file"),
                  nullable=False),
        sa.Column("item", sa.Integer, nullable=False),  # position of the outcome within the file
        sa.Column("level", sa.Text, nullable=False),  # TA1, 999, 277CA
        sa.Column("claim_id", sa.Uuid),
        sa.Column("interchange_id", sa.Uuid),
        sa.Column("result", sa.Text, nullable=False),  # accepted, rejected, pending, not_found, unknown
        sa.Column("codes", sa.Text),
        sa.Column("payer_claim_number", sa.Text),
        sa.Column("applied", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_at", TS, server_default=sa.func.now(), nullable=False),
        practice_fk("ack_outcome"),
        tenant_fk(["claim_id"], "claim", name="fk_ack_outcome_tenant_id_claim"),
        sa.UniqueConstraint("tenant_id", "inbound_file_id", "item", name="uq_ack_outcome_tenant_id_inbound_file_id_item"),
    )
    enable_tenant_rls("ack_outcome")

    op.create_table(
        "claim_event",
        *tenant_columns(),
        sa.Column("claim_id", sa.Uuid, nullable=False),
        sa.Column("from_state", sa.Text),
        sa.Column("to_state", sa.Text, nullable=False),
        sa.Column("at", TS, server_default=sa.func.clock_timestamp(), nullable=False),
        sa.Column("actor", sa.Text, nullable=False),  # user:<id>, token:<id>, system
        sa.Column("reason_code", sa.Text),
        sa.Column("reason_text", sa.Text),  # PHI-free
        sa.Column("interchange_id", sa.Uuid),
        sa.Column("inbound_file_id", sa.Uuid),
        practice_fk("claim_event"),
        tenant_fk(["claim_id"], "claim", name="fk_claim_event_tenant_id_claim", ondelete="CASCADE"),
    )
    op.create_index("ix_claim_event_claim", "claim_event", ["tenant_id", "claim_id", "at"])
    enable_tenant_rls("claim_event")
    op.execute("""
        CREATE FUNCTION claim_event_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'claim_event rows are immutable'; END $$""")
    op.execute("CREATE TRIGGER claim_event_no_update BEFORE UPDATE ON claim_event "
               "FOR EACH ROW EXECUTE FUNCTION claim_event_immutable()")


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS claim_event_no_update ON claim_event")
    op.execute("DROP FUNCTION IF EXISTS claim_event_immutable()")
    for table in ("claim_event", "ack_outcome", "inbound_file", "submission_claim", "interchange",
                  "envelope_counter", "claim_line", "claim", "claim_number"):
        op.drop_table(table)
    op.execute("DROP SEQUENCE IF EXISTS claim_number_seq")
