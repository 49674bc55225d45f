"""Join the coding (0011) and remittance (0012) branches; tie scrub results to their claim.

scrub_result arrived (0009) before the claim table (0010), so its claim_id had no
foreign key. Now it gets the composite one (tenant_id, claim_id) -> claim, so a
result can never point at another practice's claim or outlive its own.

Revision ID: 0013
Revises: 0011, 0012
Create Date: 2026-11-29
"""

from alembic import op

revision = "0013"
down_revision = ("0011", "0012")
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_foreign_key("fk_scrub_result_tenant_id_claim", "scrub_result", "claim",
                          ["tenant_id", "claim_id"], ["tenant_id", "id"], ondelete="CASCADE")


def downgrade() -> None:
    op.drop_constraint("fk_scrub_result_tenant_id_claim", "scrub_result", type_="foreignkey")
