"""Driver-specific forms of a plain ``postgresql://`` URL."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit


def _with_scheme(url: str, scheme: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((scheme, *parts[1:]))


def async_url(url: str) -> str:
    """asyncpg for the API (async request handlers)."""
    return _with_scheme(url, "postgresql+asyncpg")


def sync_url(url: str) -> str:
    """psycopg 3 for alembic, the CLI and dramatiq workers (synchronous threads)."""
    return _with_scheme(url, "postgresql+psycopg")


def libpq_url(url: str) -> str:
    """Plain URL for libpq tools (psql, pg_dump)."""
    return _with_scheme(url, "postgresql")


def redacted(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(":" + parts.password + "@", ":***@")
    return urlunsplit((parts.scheme, netloc, *parts[2:]))
