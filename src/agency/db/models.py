"""Import every domain module's models so alembic and tests see one metadata."""

from agency.db.base import Base
from agency.codesets import models as _codesets  # noqa: F401
from agency.coding import models as _coding  # noqa: F401
from agency.patients import models as _patients  # noqa: F401
from agency.practices import models as _practices  # noqa: F401
from agency.payers import models as _payers  # noqa: F401

from agency.identity import models as _identity  # noqa: F401
from agency.audit import models as _audit  # noqa: F401
from agency.api import idempotency_models as _idempotency  # noqa: F401
from agency.scrubber import models as _scrubber  # noqa: F401
from agency.clearinghouse import models as _clearinghouse  # noqa: F401
from agency.keys import models as _keys  # noqa: F401
from agency.encounters import models as _encounters  # noqa: F401
from agency.intake import models as _intake  # noqa: F401
from agency.claims import models as _claims  # noqa: F401
from agency.submissions import models as _submissions  # noqa: F401
from agency.remittance import models as _remittance  # noqa: F401
from agency.denials import models as _denials  # noqa: F401

metadata = Base.metadata
