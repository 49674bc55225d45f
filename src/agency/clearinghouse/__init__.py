"""Clearinghouse connections (agency level), file transports and the simulator."""
