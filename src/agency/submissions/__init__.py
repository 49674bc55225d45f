"""Submission runs (837 files, control numbers, transmission) and inbound acknowledgements."""
