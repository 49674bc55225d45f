"""Per-practice key management: provisioning, DEK rotation, crypto-shredding."""
