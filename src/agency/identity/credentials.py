"""Secrets: password hashes (argon2id), session cookies, API tokens, TOTP.

API token format: ``agt_<token id, 32 hex>_<secret, 43 base64url chars>``. The id
finds the row; only SHA-256(secret) is stored (the secret is 32 random bytes, so
a fast hash is enough; passwords, being guessable, get argon2).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import uuid

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher()  # argon2id, library defaults (RFC 9106 low-memory profile)
_DUMMY_HASH = _HASHER.hash("not-a-password-" + secrets.token_hex(8))
TOKEN_PREFIX = "agt_"
_TOKEN = re.compile(r"^agt_([0-9a-f]{32})_([A-Za-z0-9_-]{43})$")
MIN_PASSWORD = 12
MAX_PASSWORD = 256


class MalformedCredential(ValueError):
    pass


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """Constant work whether or not the user exists (``stored`` None → dummy hash)."""
    try:
        ok = _HASHER.verify(stored or _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return False
    return ok and stored is not None


def password_problem(password: str) -> str | None:
    if len(password) < MIN_PASSWORD:
        return f"password must have at least {MIN_PASSWORD} characters"
    if len(password) > MAX_PASSWORD:
        return f"password must have at most {MAX_PASSWORD} characters"
    return None


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def new_session_cookie() -> tuple[str, str]:
    """(cookie value, stored id = SHA-256 of it)."""
    value = secrets.token_urlsafe(32)
    return value, sha256_hex(value)


def session_id_of(cookie: str) -> str:
    if not cookie or len(cookie) > 128:
        raise MalformedCredential("bad session cookie")
    return sha256_hex(cookie)


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def same_secret(a: str | bytes, b: str | bytes) -> bool:
    a_b = a.encode() if isinstance(a, str) else a
    b_b = b.encode() if isinstance(b, str) else b
    return hmac.compare_digest(a_b, b_b)


def new_api_token(token_id: uuid.UUID) -> tuple[str, bytes]:
    """(the token to show once, the hash to store)."""
    secret = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
    return f"{TOKEN_PREFIX}{token_id.hex}_{secret}", token_secret_hash(secret)


def token_secret_hash(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def parse_api_token(token: str) -> tuple[uuid.UUID, str]:
    m = _TOKEN.match(token or "")
    if not m:
        raise MalformedCredential("malformed API token")
    return uuid.UUID(m.group(1)), m.group(2)


# --- TOTP (RFC 6238: SHA-1, 6 digits, 30 s) ---------------------------------------

def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name="Agency")


def verify_totp(secret: str, code: str, last_step: int | None, now: float) -> int | None:
    """The time step the code matched (±1 step), or None. A step at or before
    ``last_step`` is refused: a code works once."""
    if not re.fullmatch(r"\d{6}", code or ""):
        return None
    totp = pyotp.TOTP(secret)
    current = int(now // totp.interval)
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            if last_step is not None and step <= last_step:
                return None
            return step
    return None
