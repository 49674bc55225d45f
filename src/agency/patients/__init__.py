"""Patients and their coverages: PHI sealed per practice, found by blind index."""
