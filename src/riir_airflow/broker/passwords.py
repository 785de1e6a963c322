"""Hashing of user passwords and of bearer tokens, with the standard library only.

Contract:
- `hash_password` returns `scrypt$<n>$<r>$<p>$<salt hex>$<hash hex>`: a random salt per call,
  scrypt's memory-hard cost; `verify_password` recomputes it in constant time and is False for
  anything malformed. Passwords never leave the broker in any other form.
- `hash_token` is a plain SHA-256 hex of a bearer token: tokens are 256-bit random secrets, so
  no salt or stretching is needed, and a deterministic hash lets the registry find a token by
  an indexed lookup of its hash.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

__all__ = ["hash_password", "hash_token", "verify_password"]

_N, _R, _P = 2**14, 8, 1


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        computed = hashlib.scrypt(
            password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=32
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(computed.hex(), digest)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
