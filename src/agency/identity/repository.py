"""All queries on users, assignments, web sessions and API tokens.

Every query runs in an agency-bound session (RLS keeps it to one agency) and
also filters by ``agency_id`` explicitly.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from agency.identity.models import ApiToken, Membership, User, WebSession
from agency.practices.models import Practice


class IdentityRepository:
    def __init__(self, session: Session, agency_id: uuid.UUID) -> None:
        self.session = session
        self.agency_id = agency_id

    # users
    def user(self, user_id: uuid.UUID, *, for_update: bool = False) -> User | None:
        stmt = sa.select(User).where(User.agency_id == self.agency_id, User.id == user_id)
        if for_update:
            stmt = stmt.with_for_update()
        return self.session.scalar(stmt)

    def users_page(self, after: uuid.UUID | None, limit: int) -> list[User]:
        stmt = sa.select(User).where(User.agency_id == self.agency_id)
        if after is not None:
            stmt = stmt.where(User.id > after)
        return list(self.session.scalars(stmt.order_by(User.id).limit(limit + 1)))

    def email_taken(self, email: str) -> bool:
        # Visible rows only (this agency); the global unique index catches the rest.
        return self.session.scalar(sa.select(sa.func.count()).select_from(User).where(User.email == email)) > 0

    # practices (the agency's, via the agency policy on practice)
    def practice(self, practice_id: uuid.UUID) -> Practice | None:
        return self.session.scalar(sa.select(Practice).where(Practice.agency_id == self.agency_id,
                                                             Practice.id == practice_id))

    def practices(self, only: frozenset[uuid.UUID] | None, after: str | None, limit: int) -> list[Practice]:
        stmt = sa.select(Practice).where(Practice.agency_id == self.agency_id)
        if only is not None:
            stmt = stmt.where(Practice.id.in_(list(only)))
        if after is not None:
            stmt = stmt.where(Practice.id > uuid.UUID(after))
        return list(self.session.scalars(stmt.order_by(Practice.id).limit(limit + 1)))

    def practice_ids(self) -> list[uuid.UUID]:
        return list(self.session.scalars(sa.select(Practice.id).where(Practice.agency_id == self.agency_id)
                                         .order_by(Practice.id)))

    # memberships
    def assigned_practices(self, user_id: uuid.UUID) -> frozenset[uuid.UUID]:
        stmt = sa.select(Membership.practice_id).where(Membership.agency_id == self.agency_id,
                                                       Membership.user_id == user_id)
        return frozenset(self.session.scalars(stmt))

    def membership(self, user_id: uuid.UUID, practice_id: uuid.UUID) -> Membership | None:
        return self.session.scalar(sa.select(Membership).where(
            Membership.agency_id == self.agency_id, Membership.user_id == user_id,
            Membership.practice_id == practice_id))

    def memberships(self, user_id: uuid.UUID) -> list[Membership]:
        return list(self.session.scalars(sa.select(Membership).where(
            Membership.agency_id == self.agency_id, Membership.user_id == user_id)
            .order_by(Membership.practice_id)))

    # web sessions
    def web_session(self, session_id: str) -> WebSession | None:
        return self.session.scalar(sa.select(WebSession).where(WebSession.agency_id == self.agency_id,
                                                               WebSession.id == session_id))

    def revoke_sessions_of(self, user_id: uuid.UUID, now: datetime) -> None:
        self.session.execute(sa.update(WebSession).where(
            WebSession.agency_id == self.agency_id, WebSession.user_id == user_id,
            WebSession.revoked_at.is_(None)).values(revoked_at=now))

    # API tokens
    def token(self, token_id: uuid.UUID) -> ApiToken | None:
        return self.session.scalar(sa.select(ApiToken).where(ApiToken.agency_id == self.agency_id,
                                                             ApiToken.id == token_id))

    def tokens_page(self, after: uuid.UUID | None, limit: int) -> list[ApiToken]:
        stmt = sa.select(ApiToken).where(ApiToken.agency_id == self.agency_id)
        if after is not None:
            stmt = stmt.where(ApiToken.id > after)
        return list(self.session.scalars(stmt.order_by(ApiToken.id).limit(limit + 1)))

    def add(self, obj: object) -> None:
        self.session.add(obj)

    def delete(self, obj: object) -> None:
        self.session.delete(obj)

    def flush(self) -> None:
        self.session.flush()
