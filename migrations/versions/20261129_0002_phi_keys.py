"""PHI keys, key rotation, patients, coverages and the encrypted EDI file store.

Sealed columns are BYTEA holding the versioned ciphertext of tenants.crypto
(0x01 | key version | salt | nonce | ciphertext+tag); never plaintext.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

from tenants.rls import enable_tenant_rls, tenant_columns, tenant_fk

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _tenant_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["tenant_id"], ["practice.id"], name=f"fk_{table}_tenant_id_practice")


def upgrade() -> None:
    op.create_table(
        "tenant_key",
        *tenant_columns(),
        sa.Column("purpose", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("wrapped", sa.LargeBinary),  # NULL once destroyed
        sa.Column("kek_ref", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("index_bits", sa.SmallInteger),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("status_changed_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        _tenant_fk("tenant_key"),
        sa.UniqueConstraint("tenant_id", "purpose", "version", name="uq_tenant_key_tenant_id_purpose_version"),
        sa.CheckConstraint("purpose IN ('dek', 'bidx')", name="purpose"),
        sa.CheckConstraint("status IN ('active', 'decrypt_only', 'destroyed')", name="status"),
        sa.CheckConstraint("(status = 'destroyed') = (wrapped IS NULL)", name="destroyed_has_no_key"),
    )
    # At most one active key per purpose and practice.
    op.create_index("uq_tenant_key_one_active", "tenant_key", ["tenant_id", "purpose"], unique=True,
                    postgresql_where=sa.text("status = 'active'"))
    enable_tenant_rls("tenant_key")

    op.create_table(
        "key_rotation",
        *tenant_columns(),
        sa.Column("purpose", sa.Text, nullable=False),
        sa.Column("from_version", sa.Integer, nullable=False),
        sa.Column("to_version", sa.Integer, nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default="running"),
        sa.Column("values_resealed", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("started_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("last_error", sa.Text),
        _tenant_fk("key_rotation"),
        sa.UniqueConstraint("tenant_id", "purpose", "to_version", name="uq_key_rotation_tenant_id_purpose_to_version"),
        sa.CheckConstraint("status IN ('running', 'completed', 'failed')", name="status"),
    )
    enable_tenant_rls("key_rotation")

    op.create_table(
        "patient",
        *tenant_columns(),
        sa.Column("mrn", sa.LargeBinary),
        sa.Column("first_name", sa.LargeBinary, nullable=False),
        sa.Column("middle_name", sa.LargeBinary),
        sa.Column("last_name", sa.LargeBinary, nullable=False),
        sa.Column("date_of_birth", sa.LargeBinary, nullable=False),
        sa.Column("sex", sa.LargeBinary),
        sa.Column("address", sa.LargeBinary),  # sealed JSON: line1, line2, city, state, zip
        sa.Column("phone", sa.LargeBinary),
        sa.Column("email", sa.LargeBinary),
        sa.Column("bidx_name_dob", sa.BigInteger, nullable=False),
        sa.Column("bidx_mrn", sa.BigInteger),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("row_version", sa.Integer, nullable=False, server_default="1"),
        _tenant_fk("patient"),
    )
    op.create_index("ix_patient_tenant_id_bidx_name_dob", "patient", ["tenant_id", "bidx_name_dob"])
    op.create_index("ix_patient_tenant_id_bidx_mrn", "patient", ["tenant_id", "bidx_mrn"])
    enable_tenant_rls("patient")

    op.create_table(
        "patient_coverage",
        *tenant_columns(),
        sa.Column("patient_id", sa.Uuid, nullable=False),
        sa.Column("rank", sa.SmallInteger, nullable=False),  # 1 primary, 2 secondary, 3 tertiary
        sa.Column("payer_id", sa.Uuid),
        sa.Column("member_id", sa.LargeBinary, nullable=False),
        sa.Column("group_number", sa.LargeBinary),
        sa.Column("relationship_code", sa.String(2), nullable=False, server_default="18"),
        sa.Column("subscriber", sa.LargeBinary),  # sealed JSON when the patient is not the subscriber
        sa.Column("effective_from", sa.Date),
        sa.Column("effective_to", sa.Date),
        sa.Column("bidx_member_id", sa.BigInteger, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        _tenant_fk("patient_coverage"),
        tenant_fk(["patient_id"], "patient", name="fk_patient_coverage_tenant_id_patient", ondelete="CASCADE"),
        sa.UniqueConstraint("tenant_id", "patient_id", "rank", name="uq_patient_coverage_tenant_id_patient_id_rank"),
        sa.CheckConstraint("rank BETWEEN 1 AND 3", name="rank"),
    )
    op.create_index("ix_patient_coverage_tenant_id_bidx_member_id", "patient_coverage",
                    ["tenant_id", "bidx_member_id"])
    enable_tenant_rls("patient_coverage")

    op.create_table(
        "edi_file",
        *tenant_columns(),
        sa.Column("kind", sa.Text, nullable=False),  # 837P, 837I, 999, 277CA, 835, TA1
        sa.Column("direction", sa.Text, nullable=False),
        sa.Column("sha256", sa.LargeBinary, nullable=False),
        sa.Column("size_bytes", sa.BigInteger, nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        _tenant_fk("edi_file"),
        sa.CheckConstraint("direction IN ('outbound', 'inbound')", name="direction"),
    )
    op.create_index("ix_edi_file_tenant_id_sha256", "edi_file", ["tenant_id", "sha256"])
    enable_tenant_rls("edi_file")


def downgrade() -> None:
    for table in ("edi_file", "patient_coverage", "patient", "key_rotation", "tenant_key"):
        op.drop_table(table)
