"""Bulk intake of encounters from CSV files, imported by a background job."""
