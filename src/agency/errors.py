"""Errors whose message is meant for a person (CLI users, operators).

Their text must never contain PHI or key material: it is printed and logged.
"""


class UserFacingError(Exception):
    exit_code = 1


class ConfigurationError(UserFacingError):
    """A setting is missing or invalid; the message names the setting."""

    exit_code = 2


class DatabaseUnavailable(UserFacingError):
    exit_code = 3
