"""Catalog checks for the tenancy rules, used by tests and ``agency db check``.

Each function returns a list of human-readable problems (empty = fine), so a
new table that misses its policy, a composite key or a tenant-prefixed unique
index is named precisely.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

from tenants.rls import TENANT_SETTING

_TENANT_TABLES = text("""
    SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity
    FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
    WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
      AND a.attname = 'tenant_id' AND NOT a.attisdropped
    ORDER BY c.relname
""")

_POLICIES = text("""
    SELECT pol.polname, pg_get_expr(pol.polqual, pol.polrelid) AS using_expr,
           pg_get_expr(pol.polwithcheck, pol.polrelid) AS check_expr, pol.polcmd, pol.polpermissive
    FROM pg_policy pol WHERE pol.polrelid = ('public.' || :table)::regclass
""")

_PK = text("""
    SELECT array_agg(a.attname ORDER BY k.ord)
    FROM pg_constraint con
    CROSS JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
    JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
    WHERE con.conrelid = ('public.' || :table)::regclass AND con.contype = 'p'
""")

_FKS_INTO_TENANT_TABLES = text("""
    SELECT con.conname, src.relname, dst.relname,
           (SELECT array_agg(a.attname ORDER BY k.ord) FROM unnest(con.conkey) WITH ORDINALITY k(n, ord)
              JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n) AS cols
    FROM pg_constraint con
    JOIN pg_class src ON src.oid = con.conrelid
    JOIN pg_class dst ON dst.oid = con.confrelid
    WHERE con.contype = 'f' AND dst.relnamespace = 'public'::regnamespace
      AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = dst.oid AND a.attname = 'tenant_id'
                  AND NOT a.attisdropped)
""")

_UNIQUE_INDEXES = text("""
    SELECT i.relname AS index_name, t.relname AS table_name,
           (SELECT a.attname FROM pg_attribute a WHERE a.attrelid = t.oid AND a.attnum = x.indkey[0]) AS first_col
    FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
    WHERE x.indisunique AND t.relnamespace = 'public'::regnamespace
      AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = t.oid AND a.attname = 'tenant_id'
                  AND NOT a.attisdropped)
""")

_VIEWS = text("""
    SELECT c.relname FROM pg_class c WHERE c.relkind = 'v' AND c.relnamespace = 'public'::regnamespace
      AND NOT coalesce('security_invoker=true' = ANY(c.reloptions), false)
""")


def tenant_tables(conn: Connection) -> list[str]:
    return [r[0] for r in conn.execute(_TENANT_TABLES)]


def rls_problems(conn: Connection) -> list[str]:
    problems: list[str] = []
    for table, enabled, forced in conn.execute(_TENANT_TABLES).all():
        if not enabled:
            problems.append(f"{table}: row-level security is not enabled")
        if not forced:
            problems.append(f"{table}: row-level security is not forced")
        policies = conn.execute(_POLICIES, {"table": table}).all()
        good = [p for p in policies
                if p.polcmd == "*" and p.polpermissive
                and p.using_expr and TENANT_SETTING in p.using_expr and "tenant_id" in p.using_expr
                and p.check_expr and TENANT_SETTING in p.check_expr and "tenant_id" in p.check_expr]
        if not good:
            problems.append(f"{table}: no tenant policy with USING and WITH CHECK on {TENANT_SETTING}")
        pk = conn.execute(_PK, {"table": table}).scalar()
        if not pk or pk[0] != "tenant_id":
            problems.append(f"{table}: primary key {pk} does not start with tenant_id")
    return problems


def key_problems(conn: Connection) -> list[str]:
    problems: list[str] = []
    for name, src, dst, cols in conn.execute(_FKS_INTO_TENANT_TABLES):
        if "tenant_id" not in (cols or []):
            problems.append(f"{src}.{name}: foreign key into tenant table {dst} lacks tenant_id")
    for index, table, first in conn.execute(_UNIQUE_INDEXES):
        if first != "tenant_id":
            problems.append(f"{table}.{index}: unique index does not start with tenant_id")
    for (view,) in conn.execute(_VIEWS):
        problems.append(f"view {view}: not security_invoker (it would run with the owner's rights)")
    return problems


def runtime_role_problems(conn: Connection, role: str) -> list[str]:
    row = conn.execute(text(
        "SELECT rolsuper, rolbypassrls, (SELECT count(*) FROM pg_class c WHERE c.relowner = r.oid) "
        "FROM pg_roles r WHERE rolname = :r"), {"r": role}).one_or_none()
    if row is None:
        return [f"role {role} does not exist"]
    problems = []
    if row[0]:
        problems.append(f"role {role} is a superuser")
    if row[1]:
        problems.append(f"role {role} has BYPASSRLS")
    if row[2]:
        problems.append(f"role {role} owns {row[2]} relations")
    return problems
