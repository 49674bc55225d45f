"""Imports every domain module's ``tasks`` so their actors are declared.

Actors are named ``area.event``, take ids (never PHI), and are safe to run twice.
"""

from agency.keys import tasks as _keys  # noqa: F401
from agency.intake import tasks as _intake  # noqa: F401
from agency.submissions import tasks as _submissions  # noqa: F401
from agency.remittance import tasks as _remittance  # noqa: F401
