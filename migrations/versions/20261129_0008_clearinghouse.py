"""Clearinghouse connections and the agency's own data key.

``agency_key`` (agency level): wrapped data keys of the *agency itself*, the same
design as ``tenant_key`` but keyed by ``agency_id``. The crypto layer treats the
agency id as a tenant id: its KEK lives at the key provider under that id and
wraps the DEK stored here. It seals agency secrets that are not PHI but must
not sit in plaintext (clearinghouse passwords and private keys).

``clearinghouse_connection`` (agency level): one row per clearinghouse the agency
submits to. ``credentials`` is sealed (AES-GCM under the agency DEK, AAD =
agency, table, column, row id); everything else is configuration.

Revision ID: 0008
Revises: 0005
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

from tenants.rls import enable_agency_rls

revision = "0008"
down_revision = "0005"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "agency_key",
        sa.Column("agency_id", sa.Uuid, sa.ForeignKey("agency.id", name="fk_agency_key_agency_id_agency"),
                  nullable=False),
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("purpose", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("wrapped", sa.LargeBinary),  # NULL once destroyed
        sa.Column("kek_ref", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("created_at", TS, server_default=sa.func.now(), nullable=False),
        sa.Column("status_changed_at", TS),
        sa.UniqueConstraint("agency_id", "purpose", "version", name="uq_agency_key_agency_id_purpose_version"),
        sa.CheckConstraint("purpose IN ('dek')", name="purpose"),
        sa.CheckConstraint("status IN ('active', 'decrypt_only', 'destroyed')", name="status"),
        sa.CheckConstraint("version >= 1", name="version"),
    )
    op.create_index("uq_agency_key_one_active", "agency_key", ["agency_id", "purpose"], unique=True,
                    postgresql_where=sa.text("status = 'active'"))
    enable_agency_rls("agency_key")

    op.create_table(
        "clearinghouse_connection",
        sa.Column("agency_id", sa.Uuid,
                  sa.ForeignKey("agency.id", name="fk_clearinghouse_connection_agency_id_agency"), nullable=False),
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("host", sa.Text),
        sa.Column("port", sa.Integer),
        sa.Column("username", sa.Text),
        sa.Column("outbound_dir", sa.Text, nullable=False),
        sa.Column("inbound_dir", sa.Text, nullable=False),
        sa.Column("archive_dir", sa.Text),
        sa.Column("host_key_fingerprint", sa.Text),
        sa.Column("submitter_id", sa.Text, nullable=False),  # ISA06 / 1000A NM109
        sa.Column("receiver_id", sa.Text, nullable=False),  # ISA08 / 1000B NM109
        sa.Column("usage", sa.String(1), nullable=False, server_default="T"),  # ISA15
        sa.Column("timeout_seconds", sa.Integer, nullable=False, server_default="30"),
        sa.Column("credentials", sa.LargeBinary),  # sealed JSON {password | private_key, passphrase}
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("created_at", TS, server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", TS, server_default=sa.func.now(), nullable=False),
        sa.UniqueConstraint("agency_id", "name", name="uq_clearinghouse_connection_agency_id_name"),
        sa.CheckConstraint("kind IN ('sftp', 'mailbox')", name="kind"),
        sa.CheckConstraint("usage IN ('T', 'P')", name="usage"),
        sa.CheckConstraint("port IS NULL OR port BETWEEN 1 AND 65535", name="port"),
        sa.CheckConstraint("timeout_seconds BETWEEN 1 AND 600", name="timeout"),
        sa.CheckConstraint("kind <> 'sftp' OR (host IS NOT NULL AND port IS NOT NULL AND username IS NOT NULL "
                           "AND host_key_fingerprint IS NOT NULL)", name="sftp"),
        sa.CheckConstraint("length(submitter_id) BETWEEN 1 AND 15 AND length(receiver_id) BETWEEN 1 AND 15",
                           name="ids"),
    )
    enable_agency_rls("clearinghouse_connection")


def downgrade() -> None:
    op.drop_table("clearinghouse_connection")
    op.drop_table("agency_key")
