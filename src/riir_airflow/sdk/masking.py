"""Secret masking: values known to be secret are shown as `***` in rendered fields and logs.

As in Airflow, a Connection's password (and the value of a Variable whose key looks sensitive)
is registered when it is read through the secrets chain; rendered templates and task log lines
are redacted before they are stored.
"""

from __future__ import annotations

import re

__all__ = ["SENSITIVE_KEY_WORDS", "is_sensitive_key", "mask_secret", "redact"]

SENSITIVE_KEY_WORDS = frozenset(
    {
        "access_token",
        "api_key",
        "apikey",
        "authorization",
        "passphrase",
        "passwd",
        "password",
        "private_key",
        "secret",
        "token",
        "keyfile_dict",
        "service_account",
    }
)

_SECRETS: set[str] = set()
_PATTERN: re.Pattern[str] | None = None


def is_sensitive_key(name: str) -> bool:
    lowered = name.lower()
    return any(word in lowered for word in SENSITIVE_KEY_WORDS)


def mask_secret(value: object) -> None:
    """Remember a secret so it is redacted from now on (short values are ignored, as in Airflow)."""
    global _PATTERN
    if not isinstance(value, str) or len(value) < 5 or value in _SECRETS:
        return
    _SECRETS.add(value)
    _PATTERN = re.compile("|".join(re.escape(s) for s in sorted(_SECRETS, key=len, reverse=True)))


def redact(text: str) -> str:
    if _PATTERN is None or not isinstance(text, str):
        return text
    return _PATTERN.sub("***", text)
