"""SQLAlchemy column type for sealed PHI: wrap-only, never decrypts.

``SealedBytes`` stores :class:`~tenants.crypto.sealing.Sealed` values as
``LargeBinary`` (``bytea`` on PostgreSQL).  Binding accepts only ``Sealed``
or ``None``: a ``str``/``bytes`` (plaintext, or anything that merely looks
like ciphertext) raises ``TypeError`` before it can reach the database.
Loading returns ``Sealed`` objects; decryption happens only in services via
the cipher facade (which is where PHI access is audited).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.types import LargeBinary, TypeDecorator

from .errors import UnknownCiphertextFormat
from .sealing import Sealed

__all__ = ["SealedBytes"]


class SealedBytes(TypeDecorator[Sealed]):
    impl = LargeBinary
    cache_ok = True

    @property
    def python_type(self) -> type[Sealed]:
        return Sealed

    def process_bind_param(self, value: Any, dialect: Any) -> bytes | None:
        if value is None:
            return None
        if isinstance(value, Sealed):
            return value.blob
        # Never echo the value: it is probably plaintext PHI.
        raise TypeError(
            f"SealedBytes accepts only Sealed values or None, not {type(value).__name__}; "
            "seal the value with the PHI cipher first"
        )

    def process_literal_param(self, value: Any, dialect: Any) -> str:
        raise TypeError("SealedBytes values cannot be rendered as SQL literals")

    def process_result_value(self, value: Any, dialect: Any) -> Sealed | None:
        if value is None:
            return None
        if isinstance(value, (bytes, bytearray, memoryview)):
            # Sealed() validates the header; garbage or legacy plaintext in the
            # column raises UnknownCiphertextFormat instead of passing through.
            return Sealed(value)
        raise UnknownCiphertextFormat(f"SealedBytes column returned {type(value).__name__}, expected bytes")
