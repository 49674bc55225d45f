"""Tenancy and PHI protection kernel. Never imports ``agency``."""
