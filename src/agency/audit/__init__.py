"""HIPAA audit trail: append-only, hash-chained per practice, PHI-free (ids and types only)."""
