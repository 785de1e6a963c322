"""Secrets at rest: Fernet encryption of connection and variable values, as Airflow does.

Contract (Airflow's `[core] fernet_key` semantics, so an existing key keeps working):
- The key is `[core] fernet_key`: a urlsafe-base64 32-byte Fernet key, or several separated by
  commas for rotation: the first encrypts, all of them decrypt (`MultiFernet`).
- No key configured: values are stored in plain text and a warning is logged once per process;
  the rows say so (`is_encrypted = false`), so adding a key later still reads them.
- A value stored encrypted but unreadable (no key now, or none of the keys fits) raises
  `SecretDecryptError` naming what to fix, never returns ciphertext as if it were the secret.
- `generate_key()` makes a new key (what `python -c "from cryptography.fernet import Fernet;
  print(Fernet.generate_key().decode())"` prints).
"""

from __future__ import annotations

import logging
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

__all__ = ["SecretCipher", "SecretDecryptError", "cipher_from_config", "generate_key"]

log = logging.getLogger(__name__)
_warned_plaintext = False


class SecretDecryptError(RuntimeError):
    """An encrypted value cannot be decrypted with the configured `[core] fernet_key`."""


def generate_key() -> str:
    """A new random Fernet key, as text for `[core] fernet_key`."""
    return Fernet.generate_key().decode()


class SecretCipher:
    """Encrypts/decrypts secret column values with the configured key(s); see the module docstring."""

    def __init__(self, key: str | None) -> None:
        keys = [part.strip() for part in (key or "").split(",") if part.strip()]
        try:
            self._fernet: MultiFernet | None = MultiFernet([Fernet(k) for k in keys]) if keys else None
        except ValueError as exc:
            raise ValueError(f"[core] fernet_key is not a valid Fernet key: {exc}") from None

    @property
    def enabled(self) -> bool:
        """True when a key is configured (values are encrypted)."""
        return self._fernet is not None

    def encrypt(self, value: str | None) -> tuple[str | None, bool]:
        """`(stored text, is_encrypted)` for a value: a Fernet token when a key is configured,
        else the value itself (logging the plaintext warning once). None stays None, unencrypted."""
        if value is None:
            return None, False
        if self._fernet is None:
            _warn_plaintext()
            return value, False
        return self._fernet.encrypt(value.encode("utf-8")).decode("ascii"), True

    def decrypt(self, stored: str | None, is_encrypted: bool) -> str | None:
        """The value of a stored column; SecretDecryptError if it is encrypted and unreadable."""
        if stored is None or not is_encrypted:
            return stored
        if self._fernet is None:
            raise SecretDecryptError(
                "a value in the metastore is encrypted but no [core] fernet_key is configured"
            )
        try:
            return self._fernet.decrypt(stored.encode("ascii")).decode("utf-8")
        except InvalidToken:
            raise SecretDecryptError(
                "a value in the metastore cannot be decrypted with the configured [core] fernet_key "
                "(was the key changed without keeping the old one after a comma?)"
            ) from None


def _warn_plaintext() -> None:
    global _warned_plaintext
    if not _warned_plaintext:
        _warned_plaintext = True
        log.warning(
            "[core] fernet_key is not set: connection passwords/extras and variables are stored in "
            "the metastore in plain text. Set one (riir_airflow.metastore.crypto.generate_key())."
        )


def cipher_from_config(config: Any = None) -> SecretCipher:
    """The cipher for `[core] fernet_key` of `config` (default: the process configuration)."""
    if config is None:
        from riir_airflow.compat.config import conf as config
    return SecretCipher(config.get("core", "fernet_key", fallback="") or None)
