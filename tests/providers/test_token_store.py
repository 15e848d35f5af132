"""The encrypted token store: encryption at rest, file modes, keys, rotation, status."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from ingestion.auth.errors import SecretKeyError
from ingestion.auth.tokens import TokenStore

TOKEN = {
    "access_token": "AT-very-secret-1234",
    "refresh_token": "RT-very-secret-5678",
    "expires_at": 2_000_000_000.0,
}


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_tokens_are_encrypted_at_rest_with_owner_only_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENFIT_SECRET_KEY", raising=False)
    store = TokenStore(tmp_path / "secrets")
    store.save("strava", "me", TOKEN)

    token_file = tmp_path / "secrets" / "tokens" / "strava" / "me.token"
    blob = token_file.read_bytes()
    assert b"AT-very-secret" not in blob and b"RT-very-secret" not in blob
    for path in tmp_path.rglob("*"):
        assert b"very-secret" not in path.read_bytes() if path.is_file() else True
    assert _mode(token_file) == 0o600
    assert _mode(store.key_file) == 0o600
    assert store.load("strava", "me") == TOKEN
    assert store.status("strava", "me").status == "connected"


def test_key_from_environment_and_wrong_key_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = Fernet.generate_key().decode()
    monkeypatch.setenv("OPENFIT_SECRET_KEY", key)
    store = TokenStore(tmp_path / "secrets")
    store.save("oura", "me", TOKEN)
    assert not store.key_file.exists()  # the env key is used, no key file generated

    monkeypatch.setenv("OPENFIT_SECRET_KEY", Fernet.generate_key().decode())
    with pytest.raises(SecretKeyError, match="cannot be decrypted") as info:
        store.load("oura", "me")
    assert "very-secret" not in str(info.value) and key not in str(info.value)

    monkeypatch.setenv("OPENFIT_SECRET_KEY", "not-a-fernet-key")
    with pytest.raises(SecretKeyError, match="malformed key"):
        store.load("oura", "me")


def test_rotation_of_generated_key_reencrypts_every_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENFIT_SECRET_KEY", raising=False)
    store = TokenStore(tmp_path / "secrets")
    store.save("strava", "me", TOKEN)
    store.save("oura", "partner", {**TOKEN, "access_token": "other"})
    old_key = store.key_file.read_text().strip()
    old_blob = (tmp_path / "secrets/tokens/strava/me.token").read_bytes()

    assert store.rotate_key() == 2

    new_key = store.key_file.read_text().strip()
    assert new_key != old_key and "\n" not in new_key  # old key retired
    new_blob = (tmp_path / "secrets/tokens/strava/me.token").read_bytes()
    assert new_blob != old_blob
    assert Fernet(new_key.encode()).decrypt(new_blob)
    with pytest.raises(Exception):  # noqa: B017 (any failure: the old key no longer opens the file)
        Fernet(old_key.encode()).decrypt(new_blob)
    assert store.load("strava", "me") == TOKEN
    assert store.load("oura", "partner")["access_token"] == "other"


def test_env_multikey_rotation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    monkeypatch.setenv("OPENFIT_SECRET_KEY", old)
    store = TokenStore(tmp_path / "secrets")
    store.save("strava", "me", TOKEN)
    monkeypatch.setenv("OPENFIT_SECRET_KEY", f"{new},{old}")
    assert store.load("strava", "me") == TOKEN  # old key still decrypts
    assert store.reencrypt_all() == 1
    monkeypatch.setenv("OPENFIT_SECRET_KEY", new)
    assert store.load("strava", "me") == TOKEN  # new key alone suffices after rotation
    with pytest.raises(SecretKeyError, match="OPENFIT_SECRET_KEY"):
        store.rotate_key()


def test_status_needs_reauth_and_delete(tmp_path: Path) -> None:
    store = TokenStore(tmp_path / "secrets", secret_key=Fernet.generate_key().decode())
    assert store.status("strava", "me").status == "not_connected"
    store.save("strava", "me", TOKEN)
    store.mark_needs_reauth("strava", "me", "refresh rejected: invalid_grant")
    status = store.status("strava", "me")
    assert status.needs_reauth and "invalid_grant" in (status.reason or "")
    assert "openfit connect strava --athlete me" in status.describe()
    status_text = (tmp_path / "secrets/tokens/strava/me.status.json").read_text()
    assert "very-secret" not in status_text
    assert store.delete("strava", "me") is True
    assert store.load("strava", "me") is None
    assert store.athletes("strava") == []


@pytest.mark.parametrize("bad", ["../etc", "", "a/b", ".hidden", "x" * 65])
def test_unsafe_names_are_rejected(tmp_path: Path, bad: str) -> None:
    store = TokenStore(tmp_path / "secrets", secret_key=Fernet.generate_key().decode())
    with pytest.raises(ValueError, match="invalid athlete"):
        store.save("strava", bad, TOKEN)


@pytest.mark.parametrize("athlete", ["john.doe", "me@example.com", "a.b.c"])
def test_athlete_ids_with_dots_are_listed_and_connected(tmp_path: Path, athlete: str) -> None:
    store = TokenStore(tmp_path / "secrets", secret_key=Fernet.generate_key().decode())
    store.save("strava", athlete, TOKEN)
    store.save("strava", "me", TOKEN)
    assert store.athletes("strava") == sorted([athlete, "me"])
    assert store.status("strava", athlete).status == "connected"
    assert store.load("strava", athlete) == TOKEN


def test_every_secrets_folder_is_owner_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENFIT_SECRET_KEY", raising=False)
    secrets = tmp_path / "home" / "secrets"
    store = TokenStore(secrets)
    store.save("strava", "me", TOKEN)
    store.lock("strava", "me")
    folders = [secrets, *(p for p in secrets.rglob("*") if p.is_dir())]
    assert {secrets / "tokens", secrets / "tokens" / "strava", secrets / "locks"} <= set(folders)
    for folder in folders:
        assert _mode(folder) == 0o700, folder


def test_folders_left_open_by_an_earlier_version_are_tightened(tmp_path: Path) -> None:
    secrets = tmp_path / "secrets"
    (secrets / "tokens").mkdir(parents=True, mode=0o755)
    secrets.chmod(0o755)
    TokenStore(secrets, secret_key=Fernet.generate_key().decode()).save("oura", "me", TOKEN)
    assert _mode(secrets) == 0o700 and _mode(secrets / "tokens") == 0o700


def test_a_token_the_current_key_cannot_decrypt_is_not_reported_connected(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    monkeypatch.setenv("OPENFIT_SECRET_KEY", old_key)
    store = TokenStore(tmp_path / "secrets")
    store.save("strava", "me", TOKEN)
    assert store.status("strava", "me").status == "connected"

    monkeypatch.setenv("OPENFIT_SECRET_KEY", new_key)
    status = store.status("strava", "me")
    assert status.status == "needs_reauth"
    assert "cannot be decrypted" in status.reason
    assert old_key not in status.describe() and new_key not in status.describe()
    assert "very-secret" not in status.describe()
