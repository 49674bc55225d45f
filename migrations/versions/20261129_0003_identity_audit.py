"""Identity (users, assignments, web sessions, API tokens), the HIPAA audit trail
and idempotency records.

Users, memberships, sessions and tokens are agency-level tables (agency policy):
they are read before a practice is bound and hold no PHI. ``audit_event`` and
``audit_chain_head`` are tenant tables (one hash chain per practice). Audit
tables are append-only for every role but the owner: UPDATE, DELETE and
TRUNCATE are revoked from whoever the default privileges granted them to.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

from tenants.rls import enable_agency_rls, enable_tenant_rls, practice_fk, tenant_columns

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
ROLES = ("agency_admin", "agency_manager", "coder", "biller", "practice_admin", "practice_user")
AUDIT_TABLES = ("audit_event", "audit_chain_head", "agency_audit_event")



def _append_only(table: str, *, keep_update: bool = False) -> None:
    # Role names are configurable, so revoke from every grantee but the owner.
    privileges = "DELETE, TRUNCATE" if keep_update else "UPDATE, DELETE, TRUNCATE"
    op.execute(f"""
        DO $$
        DECLARE r record;
        BEGIN
          FOR r IN SELECT DISTINCT grantee FROM information_schema.role_table_grants
                   WHERE table_schema = 'public' AND table_name = '{table}' AND grantee <> current_user
          LOOP
            EXECUTE format('REVOKE {privileges} ON {table} FROM %I', r.grantee);
          END LOOP;
          REVOKE {privileges} ON {table} FROM PUBLIC;
        END $$;
    """)


def upgrade() -> None:
    role_list = ", ".join(f"'{r}'" for r in ROLES)
    op.create_table(
        "app_user",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("agency_id", sa.Uuid, sa.ForeignKey("agency.id", name="fk_app_user_agency_id_agency"),
                  nullable=False),
        sa.Column("email", sa.Text, nullable=False),
        sa.Column("display_name", sa.Text, nullable=False),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("practice_id", sa.Uuid,
                  sa.ForeignKey("practice.id", name="fk_app_user_practice_id_practice")),
        sa.Column("password_hash", sa.Text),
        sa.Column("totp_secret", sa.Text),
        sa.Column("totp_enabled", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("totp_last_step", sa.BigInteger),
        sa.Column("failed_logins", sa.Integer, nullable=False, server_default="0"),
        sa.Column("locked_until", TS),
        sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("created_at", TS, server_default=sa.func.now(), nullable=False),
        sa.UniqueConstraint("email", name="uq_app_user_email"),
        sa.UniqueConstraint("agency_id", "id", name="uq_app_user_agency_id_id"),
        sa.CheckConstraint(f"role IN ({role_list})", name="ck_app_user_role"),
        sa.CheckConstraint("(role IN ('practice_admin', 'practice_user')) = (practice_id IS NOT NULL)",
                           name="ck_app_user_practice_role"),
        sa.CheckConstraint("email = lower(email)", name="ck_app_user_email_lower"),
    )
    enable_agency_rls("app_user")

    op.create_table(
        "membership",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("agency_id", sa.Uuid, sa.ForeignKey("agency.id", name="fk_membership_agency_id_agency"),
                  nullable=False),
        sa.Column("user_id", sa.Uuid, nullable=False),
        sa.Column("practice_id", sa.Uuid, sa.ForeignKey("practice.id", name="fk_membership_practice_id_practice"),
                  nullable=False),
        sa.Column("created_at", TS, server_default=sa.func.now(), nullable=False),
        sa.UniqueConstraint("user_id", "practice_id", name="uq_membership_user_id_practice_id"),
        sa.ForeignKeyConstraint(["agency_id", "user_id"], ["app_user.agency_id", "app_user.id"],
                                name="fk_membership_agency_id_app_user", ondelete="CASCADE"),
    )
    enable_agency_rls("membership")

    op.create_table(
        "web_session",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("agency_id", sa.Uuid, sa.ForeignKey("agency.id", name="fk_web_session_agency_id_agency"),
                  nullable=False),
        sa.Column("user_id", sa.Uuid, nullable=False),
        sa.Column("csrf_token", sa.Text, nullable=False),
        sa.Column("mfa_pending", sa.Boolean, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("last_seen_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("revoked_at", TS),
        sa.ForeignKeyConstraint(["agency_id", "user_id"], ["app_user.agency_id", "app_user.id"],
                                name="fk_web_session_agency_id_app_user", ondelete="CASCADE"),
    )
    enable_agency_rls("web_session")

    op.create_table(
        "api_token",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("agency_id", sa.Uuid, sa.ForeignKey("agency.id", name="fk_api_token_agency_id_agency"),
                  nullable=False),
        sa.Column("practice_id", sa.Uuid, sa.ForeignKey("practice.id", name="fk_api_token_practice_id_practice"),
                  nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("secret_hash", sa.LargeBinary, nullable=False),
        sa.Column("permissions", ARRAY(sa.Text), nullable=False),
        sa.Column("created_by", sa.Uuid, nullable=False),
        sa.Column("created_at", TS, server_default=sa.func.now(), nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("revoked_at", TS),
        sa.Column("last_used_at", TS),
        sa.ForeignKeyConstraint(["agency_id", "created_by"], ["app_user.agency_id", "app_user.id"],
                                name="fk_api_token_agency_id_app_user"),
    )
    enable_agency_rls("api_token")

    op.create_table(
        "audit_event",
        *tenant_columns(),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("agency_id", sa.Uuid, nullable=False),
        sa.Column("occurred_at", TS, nullable=False),
        sa.Column("actor_type", sa.Text, nullable=False),
        sa.Column("actor_id", sa.Text, nullable=False),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("resource_type", sa.Text, nullable=False),
        sa.Column("resource_id", sa.Text),
        sa.Column("source_ip", sa.Text),
        sa.Column("request_id", sa.Text),
        sa.Column("prev_hash", sa.LargeBinary, nullable=False),
        sa.Column("hash", sa.LargeBinary, nullable=False),
        practice_fk("audit_event"),
        sa.UniqueConstraint("tenant_id", "seq", name="uq_audit_event_tenant_id_seq"),
    )
    op.create_index("ix_audit_event_tenant_id_occurred_at_id", "audit_event", ["tenant_id", "occurred_at", "id"])
    enable_tenant_rls("audit_event")

    op.create_table(
        "audit_chain_head",
        sa.Column("tenant_id", sa.Uuid, primary_key=True),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("hash", sa.LargeBinary, nullable=False),
        practice_fk("audit_chain_head"),
    )
    enable_tenant_rls("audit_chain_head")

    op.create_table(
        "agency_audit_event",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("agency_id", sa.Uuid, sa.ForeignKey("agency.id", name="fk_agency_audit_event_agency_id_agency"),
                  nullable=False),
        sa.Column("occurred_at", TS, nullable=False),
        sa.Column("actor_type", sa.Text, nullable=False),
        sa.Column("actor_id", sa.Text, nullable=False),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("resource_type", sa.Text, nullable=False),
        sa.Column("resource_id", sa.Text),
        sa.Column("source_ip", sa.Text),
        sa.Column("request_id", sa.Text),
    )
    op.create_index("ix_agency_audit_event_agency_id_occurred_at", "agency_audit_event",
                    ["agency_id", "occurred_at"])
    enable_agency_rls("agency_audit_event")

    _append_only("audit_event")
    _append_only("agency_audit_event")
    # The chain head moves forward with every append (UPDATE), but is never deleted.
    _append_only("audit_chain_head", keep_update=True)

    op.create_table(
        "idempotency_record",
        *tenant_columns(),
        sa.Column("principal", sa.Text, nullable=False),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("fingerprint", sa.Text, nullable=False),
        sa.Column("status_code", sa.Integer),
        sa.Column("content_type", sa.Text),
        sa.Column("body", sa.LargeBinary),
        sa.Column("created_at", TS, server_default=sa.func.now(), nullable=False),
        practice_fk("idempotency_record"),
        sa.UniqueConstraint("tenant_id", "principal", "key", name="uq_idempotency_record_tenant_id_principal_key"),
    )
    enable_tenant_rls("idempotency_record")

    op.create_table(
        "agency_idempotency_record",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("agency_id", sa.Uuid,
                  sa.ForeignKey("agency.id", name="fk_agency_idempotency_record_agency_id_agency"),
                  nullable=False),
        sa.Column("principal", sa.Text, nullable=False),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("fingerprint", sa.Text, nullable=False),
        sa.Column("status_code", sa.Integer),
        sa.Column("content_type", sa.Text),
        sa.Column("body", sa.LargeBinary),
        sa.Column("created_at", TS, server_default=sa.func.now(), nullable=False),
        sa.UniqueConstraint("agency_id", "principal", "key",
                            name="uq_agency_idempotency_record_agency_id_principal_key"),
    )
    enable_agency_rls("agency_idempotency_record")


def downgrade() -> None:
    for table in ("agency_idempotency_record", "idempotency_record", "agency_audit_event", "audit_chain_head",
                  "audit_event", "api_token", "web_session", "membership", "app_user"):
        op.drop_table(table)
