"""The encrypted token store: one file per (provider, athlete), Fernet-encrypted, plus a plaintext status file.

Layout under ``$OPENFIT_HOME/secrets`` (directory mode 0700, files 0600)::

    key                               generated Fernet keys, one per line, first = current (absent when
                                      OPENFIT_SECRET_KEY is set)
    tokens/<provider>/<athlete>.token Fernet(JSON token: access_token, refresh_token, expires_at, scope, ...)
    tokens/<provider>/<athlete>.status.json   {"status", "reason", "updated_at", "scope", "expires_at"} - no secrets
    locks/<provider>-<athlete>.lock   cross-process lock taken while refreshing

``OPENFIT_SECRET_KEY`` may hold several comma-separated keys (MultiFernet): the first encrypts, all decrypt, so
an operator rotates by prepending a new key and running :meth:`TokenStore.reencrypt_all`.
"""

from __future__ import annotations

import json
import logging
import os
import re
import stat
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from filelock import FileLock

from ingestion.auth.errors import SecretKeyError

SECRET_KEY_ENV = "OPENFIT_SECRET_KEY"
_SAFE_NAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")

StatusName = Literal["connected", "needs_reauth", "not_connected", "unconfigured"]


def _check_name(kind: str, value: str) -> str:
    if not _SAFE_NAME.match(value) or value.startswith("."):
        raise ValueError(f"invalid {kind} {value!r}: use 1-64 letters, digits, '_', '-', '.', '@'")
    return value


TOKEN_SUFFIX = ".token"
STATUS_SUFFIX = ".status.json"


def _athlete_of(file_name: str) -> str | None:
    """The athlete a token or status file belongs to. Athlete ids may hold dots (`john.doe`,
    `me@example.com`), so strip the known suffix rather than splitting on the first dot."""
    for suffix in (STATUS_SUFFIX, TOKEN_SUFFIX):
        if file_name.endswith(suffix) and len(file_name) > len(suffix):
            return file_name[: -len(suffix)]
    return None


def _private_dirs(root: Path, folder: Path) -> None:
    """Creates `root` and every folder from it down to `folder` with mode 0700. `mkdir(parents=True,
    mode=...)` gives the mode to the leaf only: `secrets/` and `secrets/tokens` came out 0755."""
    root.parent.mkdir(parents=True, exist_ok=True)
    chain = [root]
    for part in folder.relative_to(root).parts:
        chain.append(chain[-1] / part)
    for path in chain:
        path.mkdir(exist_ok=True, mode=0o700)
        # The umask may have narrowed mkdir's mode, and an earlier version left these folders 0755.
        if stat.S_IMODE(path.stat().st_mode) != 0o700:
            path.chmod(0o700)


def _write_private(path: Path, data: bytes, root: Path) -> None:
    """Write atomically (temp file + rename) with mode 0600, so a crash never leaves a half-written secret."""
    _private_dirs(root, path.parent)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class ConnectionStatus:
    """What `openfit status` / `openfit sources` / the Dagster UI show for one provider connection."""

    provider: str
    athlete: str | None
    status: StatusName
    reason: str | None = None
    scope: str | None = None
    expires_at: float | None = None
    updated_at: float | None = None

    @property
    def needs_reauth(self) -> bool:
        return self.status == "needs_reauth"

    def describe(self) -> str:
        who = f" ({self.athlete})" if self.athlete else ""
        text = f"{self.provider}{who}: {self.status.replace('_', ' ')}"
        if self.reason:
            text += f" - {self.reason}"
        if self.status == "needs_reauth":
            text += f"; run `openfit connect {self.provider} --athlete {self.athlete}`"
        return text


class TokenStore:
    """Encrypted per-athlete, per-provider OAuth tokens."""

    def __init__(self, root: Path, secret_key: str | None = None):
        self.root = Path(root)
        self._explicit_key = secret_key

    @classmethod
    def from_settings(cls, settings: Any = None) -> TokenStore:
        if settings is None:
            from openfit.settings import get_settings

            settings = get_settings()
        return cls(settings.home_dir / "secrets")

    # -- keys --------------------------------------------------------------------------------------------
    @property
    def key_file(self) -> Path:
        return self.root / "key"

    def _keys(self) -> list[bytes]:
        raw = self._explicit_key if self._explicit_key is not None else os.environ.get(SECRET_KEY_ENV)
        if raw:
            keys = [k.strip().encode() for k in raw.split(",") if k.strip()]
            source = SECRET_KEY_ENV
        else:
            if not self.key_file.exists():
                _private_dirs(self.root, self.root)
                # The lock stops two first-time processes from generating two different keys.
                with FileLock(str(self.root / ".key.lock")):
                    if not self.key_file.exists():
                        _write_private(self.key_file, Fernet.generate_key() + b"\n", self.root)
            keys = [line.strip().encode() for line in self.key_file.read_text().splitlines() if line.strip()]
            source = str(self.key_file)
        if not keys:
            raise SecretKeyError(f"no token-store key found in {source}")
        for key in keys:
            try:
                Fernet(key)
            except (ValueError, TypeError):
                raise SecretKeyError(
                    f"{source} holds a malformed key: expected url-safe base64 Fernet keys "
                    "(generate one with `python -c 'from cryptography.fernet import Fernet; "
                    "print(Fernet.generate_key().decode())'`)"
                ) from None
        return keys

    def _fernet(self) -> MultiFernet:
        return MultiFernet([Fernet(k) for k in self._keys()])

    # -- paths -------------------------------------------------------------------------------------------
    def _token_path(self, provider: str, athlete: str) -> Path:
        return (
            self.root
            / "tokens"
            / _check_name("provider", provider)
            / f"{_check_name('athlete', athlete)}{TOKEN_SUFFIX}"
        )

    def _status_path(self, provider: str, athlete: str) -> Path:
        token_path = self._token_path(provider, athlete)
        return token_path.with_name(f"{athlete}{STATUS_SUFFIX}")

    def lock(self, provider: str, athlete: str, timeout: float = 120.0) -> FileLock:
        """The cross-process lock held while a (provider, athlete) token is refreshed or replaced."""
        path = (
            self.root
            / "locks"
            / f"{_check_name('provider', provider)}-{_check_name('athlete', athlete)}.lock"
        )
        _private_dirs(self.root, path.parent)
        return FileLock(str(path), timeout=timeout)

    # -- tokens ------------------------------------------------------------------------------------------
    def load(self, provider: str, athlete: str) -> dict[str, Any] | None:
        path = self._token_path(provider, athlete)
        try:
            blob = path.read_bytes()
        except FileNotFoundError:
            return None
        try:
            return json.loads(self._fernet().decrypt(blob))
        except InvalidToken:
            raise SecretKeyError(
                f"the {provider} token of athlete {athlete!r} cannot be decrypted with the current key "
                f"({SECRET_KEY_ENV} or {self.key_file}); reconnect or restore the old key"
            ) from None

    def save(self, provider: str, athlete: str, token: dict[str, Any]) -> None:
        blob = self._fernet().encrypt(json.dumps(token, sort_keys=True).encode())
        _write_private(self._token_path(provider, athlete), blob, self.root)
        extra = {"scope": token.get("scope"), "expires_at": token.get("expires_at")}
        if token.get("provider_user_id"):
            extra["provider_user_id"] = str(token["provider_user_id"])
        self._write_status(provider, athlete, "connected", None, **extra)

    # -- provider user ids (webhooks name the provider's user, not ours) ---------------------------------
    def provider_user_id(self, provider: str, athlete: str) -> str | None:
        """The provider's id of this athlete's account (kept in the plaintext status file: it is no secret)."""
        try:
            record = json.loads(self._status_path(provider, athlete).read_text())
        except (FileNotFoundError, ValueError):
            return None
        value = record.get("provider_user_id")
        return str(value) if value else None

    def set_provider_user_id(self, provider: str, athlete: str, provider_user_id: str) -> None:
        """Record the provider user id of a connected athlete (in the token and its status file)."""
        if not self._token_path(provider, athlete).exists():
            return
        with self.lock(provider, athlete):
            token = self.load(provider, athlete)
            if token is None:
                return
            if token.get("provider_user_id") == str(provider_user_id) and self.provider_user_id(
                provider, athlete
            ):
                return
            token["provider_user_id"] = str(provider_user_id)
            previous = self.status(provider, athlete)
            blob = self._fernet().encrypt(json.dumps(token, sort_keys=True).encode())
            _write_private(self._token_path(provider, athlete), blob, self.root)
            self._write_status(
                provider,
                athlete,
                previous.status if previous.status != "not_connected" else "connected",
                previous.reason,
                scope=previous.scope,
                expires_at=previous.expires_at,
                provider_user_id=str(provider_user_id),
            )

    def athlete_for(self, provider: str, provider_user_id: str) -> str | None:
        """The OpenFit athlete whose connection to `provider` is the provider's user `provider_user_id`, or None.

        Reads only the status files (no decryption); a token stored before its status carried the id is
        looked up in the tokens once and the status file completed."""
        wanted = str(provider_user_id)
        athletes = self.athletes(provider)
        missing = []
        for athlete in athletes:
            known = self.provider_user_id(provider, athlete)
            if known == wanted:
                return athlete
            if known is None:
                missing.append(athlete)
        for athlete in missing:
            try:
                token = self.load(provider, athlete)
            except SecretKeyError:
                continue
            if token and token.get("provider_user_id"):
                self.set_provider_user_id(provider, athlete, str(token["provider_user_id"]))
                if str(token["provider_user_id"]) == wanted:
                    return athlete
        return None

    def delete(self, provider: str, athlete: str) -> bool:
        token_path = self._token_path(provider, athlete)
        existed = token_path.exists()
        token_path.unlink(missing_ok=True)
        self._status_path(provider, athlete).unlink(missing_ok=True)
        return existed

    def athletes(self, provider: str) -> list[str]:
        folder = self.root / "tokens" / _check_name("provider", provider)
        if not folder.exists():
            return []
        names = {_athlete_of(p.name) for p in folder.iterdir()}
        return sorted(name for name in names if name is not None and _SAFE_NAME.match(name))

    # -- status ------------------------------------------------------------------------------------------
    def _write_status(
        self, provider: str, athlete: str, status: StatusName, reason: str | None, **extra: Any
    ) -> None:
        if "provider_user_id" not in extra:  # a refresh or a rejected grant keeps the account's id
            known = self.provider_user_id(provider, athlete)
            if known:
                extra["provider_user_id"] = known
        record = {"status": status, "reason": reason, "updated_at": time.time(), **extra}
        _write_private(
            self._status_path(provider, athlete), json.dumps(record, sort_keys=True).encode(), self.root
        )

    def mark_needs_reauth(self, provider: str, athlete: str, reason: str) -> None:
        previous = self.status(provider, athlete)
        self._write_status(provider, athlete, "needs_reauth", reason, scope=previous.scope, expires_at=None)

    def status(self, provider: str, athlete: str) -> ConnectionStatus:
        try:
            record = json.loads(self._status_path(provider, athlete).read_text())
        except FileNotFoundError:
            record = {"status": "connected"} if self._token_path(provider, athlete).exists() else None
        if record is None:
            return ConnectionStatus(provider, athlete, "not_connected")
        if record.get("status", "connected") == "connected":
            # The status file says what the last write saw; a changed key makes the token unusable since.
            unreadable = self._unreadable_reason(provider, athlete)
            if unreadable is not None:
                return ConnectionStatus(
                    provider,
                    athlete,
                    "needs_reauth",
                    unreadable,
                    scope=record.get("scope"),
                    updated_at=record.get("updated_at"),
                )
        return ConnectionStatus(
            provider=provider,
            athlete=athlete,
            status=record.get("status", "connected"),
            reason=record.get("reason"),
            scope=record.get("scope"),
            expires_at=record.get("expires_at"),
            updated_at=record.get("updated_at"),
        )

    def _unreadable_reason(self, provider: str, athlete: str) -> str | None:
        """Why the stored token cannot be used with the current key, or None if it decrypts (or is absent)."""
        try:
            self.load(provider, athlete)
        except SecretKeyError:
            # The error's own text names the key's source, never the key or the token.
            return (
                "the stored token cannot be decrypted with the current key; reconnect or restore the old key"
            )
        return None

    # -- key rotation ------------------------------------------------------------------------------------
    def _token_files(self) -> list[Path]:
        return sorted((self.root / "tokens").glob("*/*.token")) if (self.root / "tokens").exists() else []

    def reencrypt_all(self) -> int:
        """Re-encrypt every stored token with the current (first) key; returns how many files were rewritten."""
        fernet = self._fernet()
        count = 0
        for path in self._token_files():
            try:
                rotated = fernet.rotate(path.read_bytes())
            except InvalidToken:
                raise SecretKeyError(
                    f"{path.name} cannot be decrypted by any configured key; rotation stopped"
                ) from None
            _write_private(path, rotated, self.root)
            count += 1
        return count

    def rotate_key(self) -> int:
        """Generated-key mode: create a new key, re-encrypt everything with it, then retire the old keys."""
        if self._explicit_key is not None or os.environ.get(SECRET_KEY_ENV):
            raise SecretKeyError(
                f'the key comes from {SECRET_KEY_ENV}: prepend a new key ("new,old"), run the rotation, '
                "then drop the old key"
            )
        old = self._keys()
        new = Fernet.generate_key()
        _write_private(self.key_file, b"\n".join([new, *old]) + b"\n", self.root)
        count = self.reencrypt_all()
        _write_private(self.key_file, new + b"\n", self.root)
        return count


def connection_statuses(
    provider_names: list[str] | None = None, settings: Any = None
) -> list[ConnectionStatus]:
    """Connection status of every API provider and athlete, for `openfit status`, `openfit sources` and Dagster.

    A provider without client credentials reports "unconfigured"; a configured one without tokens
    "not_connected"; a rejected grant "needs_reauth". Never raises for a missing configuration.
    """
    from ingestion.registry import discover

    store = TokenStore.from_settings(settings)
    result: list[ConnectionStatus] = []
    for name, provider in discover().items():
        if provider.kind != "api" or (provider_names and name not in provider_names):
            continue
        athletes = store.athletes(name)
        if not provider.is_configured() and not athletes:
            result.append(ConnectionStatus(name, None, "unconfigured", "client id/secret not set"))
            continue
        if not athletes:
            result.append(ConnectionStatus(name, None, "not_connected"))
        result.extend(store.status(name, athlete) for athlete in athletes)
    return result


def remember_provider_user_id(provider: str, athlete: str, user_id: Any) -> None:
    """Push events name the user by the provider's account id: keep it with the connection when a sync sees it
    and the connection lacks it (an athlete connected before the id was recorded at connect time). A sync never
    fails for it."""
    if user_id is None or user_id == "":
        return
    try:
        store = TokenStore.from_settings()
        if store.provider_user_id(provider, athlete) != str(user_id):
            store.set_provider_user_id(provider, athlete, str(user_id))
    except Exception as exc:
        logging.getLogger(__name__).warning(
            "%s %s: could not record the account id (%s)", provider, athlete, type(exc).__name__
        )
