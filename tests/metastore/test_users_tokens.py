"""Password hashing (scrypt, per-user salt, constant-time verify) and tokens stored only as hashes:
users, app tokens, API tokens, expiry, revocation."""

from __future__ import annotations

import datetime
import hashlib

import pendulum
import pytest
import sqlalchemy as sa

from riir_airflow.metastore import tables
from riir_airflow.metastore.registry import MetastoreRegistry
from riir_airflow.metastore.tokens import hash_token
from riir_airflow.metastore.users import hash_password, verify_password

T0 = pendulum.datetime(2024, 1, 1, tz="UTC")


# -- password hashing ------------------------------------------------------------------------
def test_password_hash_is_salted_scrypt_and_verifies_only_the_password() -> None:
    first, second = hash_password("correct horse"), hash_password("correct horse")
    assert first != second  # a new salt every time
    scheme, n, r, p, salt, digest = first.split("$")
    assert (scheme, n, r, p, len(bytes.fromhex(salt)), len(bytes.fromhex(digest))) == (
        "scrypt",
        "16384",
        "8",
        "1",
        16,
        32,
    )
    assert (
        digest
        == hashlib.scrypt(b"correct horse", salt=bytes.fromhex(salt), n=16384, r=8, p=1, dklen=32).hex()
    )
    assert verify_password("correct horse", first) and verify_password("correct horse", second)
    assert not verify_password("correct horse!", first)
    assert not verify_password("", first)


@pytest.mark.parametrize(
    "stored", ["", "plain", "md5$1$2$3$00$00", "scrypt$x$8$1$00$00", "scrypt$16384$8$1$zz$00"]
)
def test_malformed_hashes_never_verify(stored: str) -> None:
    assert not verify_password("anything", stored)


def test_unicode_passwords_hash_and_verify() -> None:
    assert verify_password("pässwörd ✓", hash_password("pässwörd ✓"))


# -- users -------------------------------------------------------------------------------------
def test_only_the_hash_of_a_password_is_stored(registry: MetastoreRegistry, engine: sa.Engine) -> None:
    registry.create_user("ann", "s3cret-pw", "admin", T0, first_name="Ann")
    with engine.connect() as conn:
        row = conn.execute(sa.select(tables.users)).mappings().one()
    assert "s3cret-pw" not in str(dict(row))
    assert verify_password("s3cret-pw", row["password_hash"])


def test_login_records_last_login_and_inactive_users_cannot_log_in(registry: MetastoreRegistry) -> None:
    registry.create_user("ann", "pw", "op", T0)
    assert registry.get_user("ann").last_login is None
    assert registry.authenticate_user("ann", "pw") is not None
    assert registry.get_user("ann").last_login is not None
    assert registry.set_user_active("ann", False)
    assert registry.authenticate_user("ann", "pw") is None


def test_password_change_and_user_deletion(registry: MetastoreRegistry) -> None:
    registry.create_user("ann", "old", "viewer", T0)
    assert registry.set_password("ann", "new") and not registry.set_password("bob", "x")
    assert registry.authenticate_user("ann", "old") is None and registry.authenticate_user("ann", "new")
    assert [u.username for u in registry.list_users()] == ["ann"]
    assert registry.delete_user("ann") and not registry.delete_user("ann")
    assert registry.get_user("ann") is None


# -- tokens ------------------------------------------------------------------------------------
def test_tokens_are_stored_only_as_their_sha256(registry: MetastoreRegistry, engine: sa.Engine) -> None:
    token_id, secret = registry.create_app_token(["dag_a"], T0)
    with engine.connect() as conn:
        row = conn.execute(sa.select(tables.api_token)).mappings().one()
    assert secret not in str(dict(row))
    assert row["token_hash"] == hash_token(secret) == hashlib.sha256(secret.encode()).hexdigest()
    assert (row["id"], row["kind"], row["dag_ids"]) == (token_id, "app", ["dag_a"])


def test_expired_tokens_do_not_authenticate(registry: MetastoreRegistry) -> None:
    _, secret = registry.create_app_token(["dag_a"], T0, expires_at=T0 + datetime.timedelta(hours=1))
    assert registry.authenticate_app_token(secret, T0 + datetime.timedelta(minutes=59)) is not None
    assert registry.authenticate_app_token(secret, T0 + datetime.timedelta(hours=1)) is None


def test_api_tokens_act_as_their_user_until_revoked_or_the_user_is_gone(registry: MetastoreRegistry) -> None:
    registry.create_user("ann", "pw", "op", T0)
    token_id, secret = registry.create_api_token("ann", T0, description="ci")
    record = registry.authenticate_api_token(secret, T0)
    assert (record.id, record.kind, record.username, record.description) == (token_id, "api", "ann", "ci")
    assert registry.authenticate_app_token(secret, T0) is None  # an API token is not an app token
    assert registry.token_is_active(token_id, T0)
    registry.set_user_active("ann", False)
    assert registry.authenticate_api_token(secret, T0) is None
    registry.set_user_active("ann", True)
    assert registry.revoke_token(token_id, T0)
    assert registry.authenticate_api_token(secret, T0) is None and not registry.token_is_active(token_id, T0)
    _, other = registry.create_api_token("ann", T0)
    registry.delete_user("ann")
    assert registry.authenticate_api_token(other, T0) is None
    assert registry.list_tokens() == []  # the user's tokens went with the user
    with pytest.raises(KeyError):
        registry.create_api_token("nobody", T0)
