"""Module the ``dramatiq`` worker processes import: broker first, then actors."""

from agency.settings import get_settings
from agency.worker.broker import setup_broker

broker = setup_broker(get_settings())

from agency.worker import actors  # noqa: E402,F401  (actors bind to the broker above)
