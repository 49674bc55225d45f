"""The agency payer directory (agency-level reference data, no PHI)."""
