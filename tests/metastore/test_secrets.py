"""Secrets at rest: connection passwords/extras and variable values are Fernet tokens in the raw
rows when `[core] fernet_key` is set, plain text (with a warning) when it is not; key rotation
and a wrong key behave as in Airflow."""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from riir_airflow.compat.config import load_config
from riir_airflow.metastore import crypto, tables
from riir_airflow.metastore.crypto import SecretCipher, SecretDecryptError, cipher_from_config, generate_key
from riir_airflow.metastore.store import MetastoreStore
from riir_airflow.store import ConnectionRecord, VariableRecord

PG = ConnectionRecord(
    conn_id="pg", conn_type="postgres", host="db.local", login="me", password="s3cret!",
    schema="public", port=5432, extra='{"sslmode": "require", "api_key": "k-123"}',
)  # fmt: skip


def _raw_connection(engine: sa.Engine, conn_id: str = "pg") -> sa.RowMapping:
    with engine.connect() as conn:
        return (
            conn.execute(sa.select(tables.connection).where(tables.connection.c.conn_id == conn_id))
            .mappings()
            .one()
        )


def _raw_variable(engine: sa.Engine, key: str) -> sa.RowMapping:
    with engine.connect() as conn:
        return conn.execute(sa.select(tables.variable).where(tables.variable.c.key == key)).mappings().one()


def test_connection_password_and_extra_are_encrypted_at_rest(engine: sa.Engine) -> None:
    key = generate_key()
    store = MetastoreStore(engine, cipher=SecretCipher(key))
    store.set_connection(PG)
    raw = _raw_connection(engine)
    assert raw["is_encrypted"] and raw["is_extra_encrypted"]
    assert "s3cret" not in raw["password"] and "k-123" not in raw["extra"]
    assert Fernet(key.encode()).decrypt(raw["password"].encode()).decode() == "s3cret!"
    assert (raw["host"], raw["login"], raw["port"]) == ("db.local", "me", 5432)  # not secret
    assert store.get_connection("pg") == PG


def test_variable_values_are_encrypted_at_rest(engine: sa.Engine) -> None:
    store = MetastoreStore(engine, cipher=SecretCipher(generate_key()))
    store.set_variable(VariableRecord("api", "hunter2", "the key"))
    raw = _raw_variable(engine, "api")
    assert raw["is_encrypted"] and "hunter2" not in raw["val"] and raw["description"] == "the key"
    assert store.get_variable("api") == VariableRecord("api", "hunter2", "the key")


def test_missing_secret_fields_stay_null_and_unflagged(engine: sa.Engine) -> None:
    store = MetastoreStore(engine, cipher=SecretCipher(generate_key()))
    store.set_connection(ConnectionRecord("http", "http", host="x"))
    raw = _raw_connection(engine, "http")
    assert (raw["password"], raw["extra"], raw["is_encrypted"], raw["is_extra_encrypted"]) == (
        None,
        None,
        False,
        False,
    )
    assert store.get_connection("http") == ConnectionRecord("http", "http", host="x")


def test_without_a_key_values_are_plain_text_and_a_warning_is_logged_once(
    engine: sa.Engine, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(crypto, "_warned_plaintext", False)
    store = MetastoreStore(engine, cipher=SecretCipher(None))
    with caplog.at_level(logging.WARNING, logger="riir_airflow.metastore.crypto"):
        store.set_connection(PG)
        store.set_variable(VariableRecord("v", "plain"))
    assert [r.message for r in caplog.records].count(caplog.records[0].message) == 1
    assert "fernet_key" in caplog.records[0].message
    raw = _raw_connection(engine)
    assert (raw["password"], raw["is_encrypted"]) == ("s3cret!", False)
    assert store.get_connection("pg") == PG


def test_plain_rows_stay_readable_after_a_key_is_configured(engine: sa.Engine) -> None:
    MetastoreStore(engine, cipher=SecretCipher(None)).set_connection(PG)
    assert MetastoreStore(engine, cipher=SecretCipher(generate_key())).get_connection("pg") == PG


def test_rotation_new_key_first_old_key_still_decrypts(engine: sa.Engine) -> None:
    old, new = generate_key(), generate_key()
    MetastoreStore(engine, cipher=SecretCipher(old)).set_connection(PG)
    rotated = MetastoreStore(engine, cipher=SecretCipher(f"{new},{old}"))
    assert rotated.get_connection("pg") == PG
    rotated.set_connection(ConnectionRecord("other", "http", password="p2"))
    assert MetastoreStore(engine, cipher=SecretCipher(new)).get_connection("other").password == "p2"


def test_wrong_or_missing_key_raises_instead_of_returning_ciphertext(engine: sa.Engine) -> None:
    MetastoreStore(engine, cipher=SecretCipher(generate_key())).set_connection(PG)
    with pytest.raises(SecretDecryptError, match="cannot be decrypted"):
        MetastoreStore(engine, cipher=SecretCipher(generate_key())).get_connection("pg")
    with pytest.raises(SecretDecryptError, match="no \\[core\\] fernet_key"):
        MetastoreStore(engine, cipher=SecretCipher(None)).get_connection("pg")


def test_cipher_reads_core_fernet_key_from_config(tmp_path) -> None:
    key = generate_key()
    config = load_config(tmp_path, {"AIRFLOW__CORE__FERNET_KEY": key})
    cipher = cipher_from_config(config)
    assert cipher.enabled
    token, encrypted = cipher.encrypt("x")
    assert encrypted and Fernet(key.encode()).decrypt(token.encode()) == b"x"
    assert not cipher_from_config(load_config(tmp_path, {})).enabled


def test_an_invalid_key_is_refused_up_front() -> None:
    with pytest.raises(ValueError, match="fernet_key"):
        SecretCipher("not-a-key")
