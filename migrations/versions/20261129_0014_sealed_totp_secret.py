"""Staff TOTP secrets sealed under the agency's own key.

A TOTP secret is a credential: whoever reads it can produce second factors. It is
now stored sealed (agency key, AAD = agency, app_user, totp_secret, user id). A
migration cannot seal (the keys live at the key provider, not in the database),
so any secret stored before this revision moves to ``totp_secret_legacy`` and is
sealed, and the plaintext column cleared, the next time it is used.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.alter_column("app_user", "totp_secret", new_column_name="totp_secret_legacy")
    op.add_column("app_user", sa.Column("totp_secret", sa.LargeBinary))


def downgrade() -> None:
    # Sealed secrets cannot be turned back into plaintext here: those users enrol again.
    op.execute("UPDATE app_user SET totp_enabled = false WHERE totp_secret IS NOT NULL")
    op.drop_column("app_user", "totp_secret")
    op.alter_column("app_user", "totp_secret_legacy", new_column_name="totp_secret")
