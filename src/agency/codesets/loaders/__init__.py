"""File-format readers. Each returns fully parsed :class:`ParsedCode` rows or
raises :class:`CodeFileError` naming the line and field; none touches the
database (the service writes, in one transaction)."""

from agency.codesets.loaders.common import CodeFileError, ParsedCode

__all__ = ["CodeFileError", "ParsedCode"]
