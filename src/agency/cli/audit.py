"""``agency audit verify [--practice ID]``: check every practice's audit hash chain.

Exit 0 when every chain is intact; exit 1 listing each record that was altered or
removed (practice, seq, id). Practices are listed through a system job; each
chain is read with a tenant-bound session (RLS applies).
"""

from __future__ import annotations

import uuid

import click


@click.group("audit")
def command() -> None:
    """HIPAA audit trail."""


@command.command("verify")
@click.option("--practice", "practice", default=None, help="Only this practice (id).")
def verify(practice: str | None) -> None:
    """Verify the hash chains; exit 1 naming altered or removed records."""
    from agency import system_access
    from agency.audit.service import verify_chain
    from agency.db.runtime import Database
    from agency.errors import UserFacingError
    from agency.settings import get_settings
    from tenants.scope import TenantScope

    wanted = None
    if practice is not None:
        try:
            wanted = uuid.UUID(practice)
        except ValueError:
            raise UserFacingError(f"--practice must be a practice id (UUID), got {practice!r}") from None
    db = Database.open(get_settings())
    try:
        practices = system_access.list_practices_for_audit(db)
        if wanted is not None:
            practices = [(a, p) for a, p in practices if p == wanted]
            if not practices:
                raise UserFacingError(f"no practice with id {wanted}")
        total, problems = 0, []
        for agency_id, practice_id in practices:
            with db.sessions.tenant_unit(TenantScope(agency_id, practice_id)) as s:
                count, found = verify_chain(s, practice_id)
            total += count
            problems.extend(found)
    finally:
        db.dispose()
    if problems:
        for p in problems:
            click.echo(str(p))
        # UserFacingError: main() prints it on stderr and exits 1.
        raise UserFacingError(f"audit chain BROKEN: {len(problems)} problem(s) in {len(practices)} practice(s), "
                              f"{total} record(s) checked")
    click.echo(f"audit chain intact: {total} record(s) in {len(practices)} practice(s)")
