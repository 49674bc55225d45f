"""Remittance posting (835) and the denial work queue.

Tenant tables (composite keys, RLS on app.current_tenant):

* era: one 835 transaction (ST..SE) of a practice. UNIQUE (tenant_id, payer_code,
  trn02) is the idempotency key: the same ERA ingested again finds its row.
* era_claim: one CLP of a posted ERA, bound to our claim (reversal pairing by
  CLP01 + CLP07, duplicate detection per CLP01/CLP07/CLP02).
* ledger_entry: immutable money movements per claim line (or claim): payment,
  adjustment, patient_responsibility, reversal, transfer, write_off. An UPDATE or
  DELETE trigger refuses changes; a reversal is a new, negated entry.
* provider_ledger_entry: PLB provider-level adjustments (interest, recoupments,
  forwarding balances), part of the ERA's reconciliation.
* posting_exception: what could not be matched with certainty (the ERA is parked).
* denial_item, appeal, write_off: the denial work queue and its actions. Sealed:
  denial_item.notes, appeal.letter (the PDF), write_off.note.

Revision ID: 0012
Revises: 0010
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from tenants.rls import enable_tenant_rls, practice_fk, tenant_columns, tenant_fk

revision = "0012"
down_revision = "0010"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
MONEY = sa.Numeric(12, 2)

ERA_STATUSES = ("posting", "posted", "parked", "refused")
LEDGER_KINDS = ("payment", "adjustment", "patient_responsibility", "reversal", "transfer", "write_off")
DENIAL_STATUSES = ("new", "in_progress", "corrected", "appealed", "awaiting_payer", "overturned",
                   "partially_paid", "written_off")



def upgrade() -> None:
    op.create_table(
        "era",
        *tenant_columns(),
        sa.Column("edi_file_id", sa.Uuid, nullable=False),
        sa.Column("inbound_file_id", sa.Uuid),
        sa.Column("transaction_index", sa.Integer, nullable=False, server_default="0"),
        sa.Column("st02", sa.Text),
        sa.Column("payer_code", sa.Text, nullable=False),
        sa.Column("payer_name", sa.Text),
        sa.Column("payer_id", sa.Uuid, sa.ForeignKey("payer.id", name="fk_era_payer_id_payer")),
        sa.Column("trn02", sa.Text, nullable=False),
        sa.Column("payment_amount", MONEY, nullable=False),
        sa.Column("credit_debit", sa.String(1)),
        sa.Column("payment_method", sa.Text),
        sa.Column("payment_date", sa.Date),
        sa.Column("production_date", sa.Date),
        sa.Column("claim_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("status", sa.Text, nullable=False, server_default="posting"),
        sa.Column("park_reason", sa.Text),  # PHI-free
        sa.Column("problems", JSONB, nullable=False, server_default="[]"),  # PHI-free
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("posted_at", TS),
        sa.Column("created_at", TS, server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", TS, server_default=sa.func.now(), nullable=False),
        practice_fk("era"),
        tenant_fk(["edi_file_id"], "edi_file", name="fk_era_tenant_id_edi_file"),
        sa.UniqueConstraint("tenant_id", "payer_code", "trn02", name="uq_era_tenant_id_payer_code_trn02"),
        sa.CheckConstraint(f"status IN {ERA_STATUSES!r}", name="status"),
    )
    op.create_index("ix_era_tenant_id_status", "era", ["tenant_id", "status", "created_at"])
    enable_tenant_rls("era")

    op.create_table(
        "era_claim",
        *tenant_columns(),
        sa.Column("era_id", sa.Uuid, nullable=False),
        sa.Column("claim_id", sa.Uuid, nullable=False),
        sa.Column("clp_index", sa.Integer, nullable=False),
        sa.Column("pcn", sa.Text, nullable=False),
        sa.Column("payer_claim_number", sa.Text),
        sa.Column("status_code", sa.Text, nullable=False),
        sa.Column("charge", MONEY, nullable=False),
        sa.Column("paid", MONEY, nullable=False),
        sa.Column("patient_responsibility", MONEY),
        sa.Column("outcome", sa.Text, nullable=False),
        sa.Column("category", sa.Text),
        sa.Column("reverses_id", sa.Uuid),
        sa.Column("reversed_by_id", sa.Uuid),
        sa.Column("created_at", TS, server_default=sa.func.now(), nullable=False),
        practice_fk("era_claim"),
        tenant_fk(["era_id"], "era", name="fk_era_claim_tenant_id_era"),
        tenant_fk(["claim_id"], "claim", name="fk_era_claim_tenant_id_claim"),
        tenant_fk(["reverses_id"], "era_claim", name="fk_era_claim_tenant_id_reverses"),
        tenant_fk(["reversed_by_id"], "era_claim", name="fk_era_claim_tenant_id_reversed_by"),
        sa.UniqueConstraint("tenant_id", "era_id", "clp_index", name="uq_era_claim_tenant_id_era_id_clp_index"),
        sa.CheckConstraint("outcome IN ('paid', 'partial', 'denied', 'forwarded', 'reversed', 'predetermination')",
                           name="outcome"),
    )
    op.create_index("ix_era_claim_pcn", "era_claim", ["tenant_id", "pcn", "payer_claim_number"])
    op.create_index("ix_era_claim_claim", "era_claim", ["tenant_id", "claim_id"])
    enable_tenant_rls("era_claim")

    op.create_table(
        "ledger_entry",
        *tenant_columns(),
        sa.Column("claim_id", sa.Uuid, nullable=False),
        sa.Column("claim_line_id", sa.Uuid),
        sa.Column("era_id", sa.Uuid),
        sa.Column("era_claim_id", sa.Uuid),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("group_code", sa.String(2)),
        sa.Column("carc", sa.Text),
        sa.Column("rarcs", ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("category", sa.Text),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("reverses_entry_id", sa.Uuid),
        sa.Column("reverses_kind", sa.Text),
        sa.Column("transfer_to", sa.Text),  # next_payer | crossover | patient
        sa.Column("target_claim_id", sa.Uuid),
        sa.Column("actor", sa.Text, nullable=False, server_default="system"),
        sa.Column("created_at", TS, server_default=sa.func.now(), nullable=False),
        practice_fk("ledger_entry"),
        tenant_fk(["claim_id"], "claim", name="fk_ledger_entry_tenant_id_claim"),
        tenant_fk(["claim_line_id"], "claim_line", name="fk_ledger_entry_tenant_id_claim_line"),
        tenant_fk(["era_id"], "era", name="fk_ledger_entry_tenant_id_era"),
        tenant_fk(["era_claim_id"], "era_claim", name="fk_ledger_entry_tenant_id_era_claim"),
        tenant_fk(["reverses_entry_id"], "ledger_entry", name="fk_ledger_entry_tenant_id_reverses"),
        tenant_fk(["target_claim_id"], "claim", name="fk_ledger_entry_tenant_id_target_claim"),
        sa.CheckConstraint(f"kind IN {LEDGER_KINDS!r}", name="kind"),
        sa.CheckConstraint("group_code IS NULL OR group_code IN ('CO', 'PR', 'OA', 'PI', 'CR')", name="group_code"),
        sa.CheckConstraint("kind <> 'reversal' OR reverses_entry_id IS NOT NULL", name="reversal"),
    )
    op.create_index("ix_ledger_entry_claim", "ledger_entry", ["tenant_id", "claim_id"])
    op.create_index("ix_ledger_entry_era", "ledger_entry", ["tenant_id", "era_id"])
    enable_tenant_rls("ledger_entry")
    op.execute("""
        CREATE FUNCTION ledger_entry_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'ledger entries are immutable: post a reversal instead'; END $$""")
    op.execute("CREATE TRIGGER ledger_entry_no_change BEFORE UPDATE OR DELETE ON ledger_entry "
               "FOR EACH ROW EXECUTE FUNCTION ledger_entry_immutable()")

    op.create_table(
        "provider_ledger_entry",
        *tenant_columns(),
        sa.Column("era_id", sa.Uuid, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("provider_id", sa.Text),
        sa.Column("fiscal_period_end", sa.Date),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("reference", sa.Text),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("created_at", TS, server_default=sa.func.now(), nullable=False),
        practice_fk("provider_ledger_entry"),
        tenant_fk(["era_id"], "era", name="fk_provider_ledger_entry_tenant_id_era"),
        sa.UniqueConstraint("tenant_id", "era_id", "position", name="uq_provider_ledger_entry_tenant_id_era_id_position"),
    )
    enable_tenant_rls("provider_ledger_entry")

    op.create_table(
        "posting_exception",
        *tenant_columns(),
        sa.Column("era_id", sa.Uuid, nullable=False),
        sa.Column("clp_index", sa.Integer),
        sa.Column("line_index", sa.Integer),
        sa.Column("pcn", sa.Text),
        sa.Column("payer_claim_number", sa.Text),
        sa.Column("claim_id", sa.Uuid),
        sa.Column("reason_code", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),  # PHI-free
        sa.Column("status", sa.Text, nullable=False, server_default="open"),
        sa.Column("resolved_claim_line_id", sa.Uuid),
        sa.Column("resolved_by", sa.Text),
        sa.Column("resolved_at", TS),
        sa.Column("created_at", TS, server_default=sa.func.now(), nullable=False),
        practice_fk("posting_exception"),
        tenant_fk(["era_id"], "era", name="fk_posting_exception_tenant_id_era"),
        tenant_fk(["claim_id"], "claim", name="fk_posting_exception_tenant_id_claim"),
        tenant_fk(["resolved_claim_line_id"], "claim_line", name="fk_posting_exception_tenant_id_claim_line"),
        sa.CheckConstraint("status IN ('open', 'resolved', 'superseded', 'dismissed')", name="status"),
    )
    op.create_index("ix_posting_exception_status", "posting_exception", ["tenant_id", "status", "created_at"])
    enable_tenant_rls("posting_exception")

    op.create_table(
        "denial_item",
        *tenant_columns(),
        sa.Column("claim_id", sa.Uuid, nullable=False),
        sa.Column("claim_line_id", sa.Uuid),
        sa.Column("era_id", sa.Uuid),
        sa.Column("era_claim_id", sa.Uuid),
        sa.Column("payer_id", sa.Uuid, sa.ForeignKey("payer.id", name="fk_denial_item_payer_id_payer")),
        sa.Column("kind", sa.Text, nullable=False, server_default="denied"),  # denied | underpaid
        sa.Column("category", sa.Text, nullable=False),
        sa.Column("category_flagged", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("carc", sa.Text),
        sa.Column("group_code", sa.String(2)),
        sa.Column("rarcs", ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("amount_at_stake", MONEY, nullable=False),
        sa.Column("assignee_id", sa.Uuid),
        sa.Column("due_date", sa.Date),
        sa.Column("appeal_deadline", sa.Date),
        sa.Column("timely_filing_deadline", sa.Date),
        sa.Column("status", sa.Text, nullable=False, server_default="new"),
        sa.Column("notes", sa.LargeBinary),  # sealed JSON list: may quote the chart
        sa.Column("created_at", TS, server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", TS, server_default=sa.func.now(), nullable=False),
        sa.Column("row_version", sa.Integer, nullable=False, server_default="1"),
        practice_fk("denial_item"),
        tenant_fk(["claim_id"], "claim", name="fk_denial_item_tenant_id_claim"),
        tenant_fk(["claim_line_id"], "claim_line", name="fk_denial_item_tenant_id_claim_line"),
        tenant_fk(["era_id"], "era", name="fk_denial_item_tenant_id_era"),
        tenant_fk(["era_claim_id"], "era_claim", name="fk_denial_item_tenant_id_era_claim"),
        sa.CheckConstraint(f"status IN {DENIAL_STATUSES!r}", name="status"),
        sa.CheckConstraint("kind IN ('denied', 'underpaid')", name="kind"),
    )
    op.create_index("ix_denial_item_queue", "denial_item", ["tenant_id", "status", "due_date", "id"])
    op.create_index("ix_denial_item_claim", "denial_item", ["tenant_id", "claim_id"])
    enable_tenant_rls("denial_item")

    op.create_table(
        "appeal",
        *tenant_columns(),
        sa.Column("denial_item_id", sa.Uuid, nullable=False),
        sa.Column("level", sa.SmallInteger, nullable=False),
        sa.Column("letter", sa.LargeBinary, nullable=False),  # sealed PDF
        sa.Column("letter_size", sa.Integer, nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("created_at", TS, server_default=sa.func.now(), nullable=False),
        sa.Column("sent_at", TS),
        practice_fk("appeal"),
        tenant_fk(["denial_item_id"], "denial_item", name="fk_appeal_tenant_id_denial_item"),
        sa.UniqueConstraint("tenant_id", "denial_item_id", "level", name="uq_appeal_tenant_id_denial_item_id_level"),
    )
    enable_tenant_rls("appeal")

    op.create_table(
        "write_off",
        *tenant_columns(),
        sa.Column("claim_id", sa.Uuid, nullable=False),
        sa.Column("claim_line_id", sa.Uuid),
        sa.Column("denial_item_id", sa.Uuid),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("reason_code", sa.Text, nullable=False),
        sa.Column("note", sa.LargeBinary),  # sealed
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("created_at", TS, server_default=sa.func.now(), nullable=False),
        practice_fk("write_off"),
        tenant_fk(["claim_id"], "claim", name="fk_write_off_tenant_id_claim"),
        tenant_fk(["claim_line_id"], "claim_line", name="fk_write_off_tenant_id_claim_line"),
        tenant_fk(["denial_item_id"], "denial_item", name="fk_write_off_tenant_id_denial_item"),
        sa.CheckConstraint("amount > 0", name="amount"),
    )
    enable_tenant_rls("write_off")


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS ledger_entry_no_change ON ledger_entry")
    op.execute("DROP FUNCTION IF EXISTS ledger_entry_immutable()")
    for table in ("write_off", "appeal", "denial_item", "posting_exception", "provider_ledger_entry",
                  "ledger_entry", "era_claim", "era"):
        op.drop_table(table)
