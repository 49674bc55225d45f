"""Import every domain module's models so alembic and tests see one metadata."""

from agency.db.base import Base
from agency.practices import models as _practices  # noqa: F401

metadata = Base.metadata
