"""Row-level security for tenant and agency tables, as one-liners for migrations.

In a migration::

    op.create_table("claim", *tenant_columns(), sa.Column(...), ...)
    enable_tenant_rls("claim")

``metadata.create_all()`` creates no policies, which is why the tests always run
the migrations.
"""

from __future__ import annotations

import re

import sqlalchemy as sa

TENANT_SETTING = "app.current_tenant"
AGENCY_SETTING = "app.current_agency"
TENANT_POLICY = "tenant_isolation"
AGENCY_POLICY = "agency_isolation"

# NULLIF: after a transaction that set the GUC ends, current_setting returns ''
# (not NULL) in that backend, and ''::uuid raises. NULL compares false: 0 rows.
_CURRENT = "NULLIF(current_setting('{setting}', true), '')::uuid"

_IDENT = re.compile(r"^[a-z_][a-z0-9_]*$")


def _check_ident(name: str) -> str:
    if not _IDENT.match(name):
        raise ValueError(f"not a plain SQL identifier: {name!r}")
    return name


def policy_sql(table: str, column: str, setting: str, policy: str) -> list[str]:
    _check_ident(table), _check_ident(column), _check_ident(policy)
    current = _CURRENT.format(setting=setting)
    return [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
        f"CREATE POLICY {policy} ON {table} "
        f"USING ({column} = {current}) WITH CHECK ({column} = {current})",
    ]


def tenant_rls_sql(table: str) -> list[str]:
    return policy_sql(table, "tenant_id", TENANT_SETTING, TENANT_POLICY)


def agency_rls_sql(table: str, column: str = "agency_id") -> list[str]:
    return policy_sql(table, column, AGENCY_SETTING, AGENCY_POLICY)


def _execute(statements: list[str]) -> None:
    from alembic import op  # imported here: only migrations call these

    for stmt in statements:
        op.execute(stmt)


def enable_tenant_rls(table: str) -> None:
    """ENABLE + FORCE RLS and the tenant policy (USING and WITH CHECK)."""
    _execute(tenant_rls_sql(table))


def enable_agency_rls(table: str, column: str = "agency_id") -> None:
    """The same, keyed on ``app.current_agency`` for agency-level tables."""
    _execute(agency_rls_sql(table, column))


def disable_rls(table: str, policy: str = TENANT_POLICY) -> None:
    _execute([f"DROP POLICY IF EXISTS {_check_ident(policy)} ON {_check_ident(table)}",
              f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY",
              f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY"])


def tenant_columns() -> list[sa.Column]:
    """``tenant_id`` and ``id``, in that order, forming the composite primary key.

    ids are client-generated UUIDv7: the encryption AAD needs the row id before
    INSERT, and v7 keeps b-tree inserts local.
    """
    return [
        sa.Column("tenant_id", sa.Uuid, nullable=False, primary_key=True),
        sa.Column("id", sa.Uuid, nullable=False, primary_key=True),
    ]


def practice_fk(table: str) -> sa.ForeignKeyConstraint:
    """``tenant_id -> practice(id)``: every tenant row belongs to an existing practice."""
    return sa.ForeignKeyConstraint(["tenant_id"], ["practice.id"], name=f"fk_{_check_ident(table)}_tenant_id_practice")


# Role names are configurable (AGENCY_APP_ROLE ...), so writes are revoked from every
# grantee other than the owner running the migration rather than from fixed names.
_REVOKE_WRITES = """
DO $$
DECLARE g record;
BEGIN
  FOR g IN SELECT DISTINCT grantee FROM information_schema.role_table_grants
           WHERE table_schema = 'public' AND table_name = '{table}'
             AND grantee <> current_user
             AND privilege_type IN ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE')
  LOOP
    EXECUTE format('REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON public.{table} FROM %I', g.grantee);
  END LOOP;
END $$
"""


def make_reference_read_only(table: str) -> None:
    """Shared reference data (code sets, NCCI/MUE): only the owner (operators'
    loads) may change it; the runtime and system roles keep SELECT."""
    _execute([_REVOKE_WRITES.format(table=_check_ident(table))])


def tenant_fk(columns: list[str], target: str, *, name: str | None = None,
              ondelete: str | None = None) -> sa.ForeignKeyConstraint:
    """Composite FK ``(tenant_id, <col>) -> target(tenant_id, id)``: RI checks run
    with RLS off, so a single-column FK would let one tenant point at another's row."""
    return sa.ForeignKeyConstraint(
        ["tenant_id", *columns], [f"{target}.tenant_id", f"{target}.id"],
        name=name, ondelete=ondelete,
    )
