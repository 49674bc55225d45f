"""Encounters: what a practice sends for billing (dates of service, provider,
location, diagnoses in order, service lines, note, attachments)."""
