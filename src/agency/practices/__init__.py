"""Agencies (the platform's customers) and their client practices (the tenants)."""
