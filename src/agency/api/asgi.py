"""ASGI entry point for process managers: ``uvicorn agency.api.asgi:app``."""

from agency.api.app import create_app

app = create_app()
