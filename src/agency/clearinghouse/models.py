"""Agency-level tables of the clearinghouse area (migration 0008)."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from agency.db.base import Base, created_at_column, new_id
from tenants.crypto.sealing import Sealed
from tenants.crypto.sqltypes import SealedBytes


class ClearinghouseConnection(Base):
    """How the agency reaches one clearinghouse. ``credentials`` is sealed under the
    agency's DEK; never log or return it (responses say ``has_credentials``)."""

    __tablename__ = "clearinghouse_connection"
    __table_args__ = (sa.UniqueConstraint("agency_id", "name"),)

    agency_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, sa.ForeignKey("agency.id"), nullable=False)
    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(sa.Text, nullable=False)
    kind: Mapped[str] = mapped_column(sa.Text, nullable=False)  # sftp | mailbox
    host: Mapped[str | None] = mapped_column(sa.Text)
    port: Mapped[int | None] = mapped_column(sa.Integer)
    username: Mapped[str | None] = mapped_column(sa.Text)
    outbound_dir: Mapped[str] = mapped_column(sa.Text, nullable=False)
    inbound_dir: Mapped[str] = mapped_column(sa.Text, nullable=False)
    archive_dir: Mapped[str | None] = mapped_column(sa.Text)
    host_key_fingerprint: Mapped[str | None] = mapped_column(sa.Text)
    submitter_id: Mapped[str] = mapped_column(sa.Text, nullable=False)
    receiver_id: Mapped[str] = mapped_column(sa.Text, nullable=False)
    usage: Mapped[str] = mapped_column(sa.String(1), nullable=False, server_default="T")
    timeout_seconds: Mapped[int] = mapped_column(sa.Integer, nullable=False, server_default="30")
    credentials: Mapped[Sealed | None] = mapped_column(SealedBytes)
    active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, server_default=sa.true())
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now(),
                                                 nullable=False)

    def __repr__(self) -> str:  # never the credentials
        return f"<ClearinghouseConnection {self.id} {self.kind} {self.name!r}>"
