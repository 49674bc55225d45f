"""Pure X12 5010 library. Never imports ``agency`` or ``tenants``."""
