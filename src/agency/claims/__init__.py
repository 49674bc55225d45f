"""Claims: building from coded encounters, the claim state machine and its history."""
