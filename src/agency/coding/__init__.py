"""The coding workflow: coder queues, code changes with history, queries to the
practice, and marking an encounter coded (which prices its lines)."""
