"""OAuth2 authorization-code flow (authlib) and token refresh that is safe across processes.

Refresh tokens are single-use at Strava and Oura: two processes refreshing the same token would leave one with
``invalid_grant``. :class:`TokenManager` therefore refreshes only under a per-(provider, athlete) file lock and
re-reads the stored token after taking it, so the second process finds the token the first one just stored.
"""

from __future__ import annotations

import logging
import random
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx
from authlib.common.security import generate_token
from authlib.integrations.base_client import OAuthError
from authlib.integrations.httpx_client import OAuth2Client

from ingestion.auth.errors import AuthError, NeedsReauthError, NotConnectedError, ProviderNotConfiguredError
from ingestion.auth.redact import install_log_redaction, redact
from ingestion.auth.tokens import TokenStore

log = logging.getLogger(__name__)
install_log_redaction()

# token_form_post: RFC 7009 (`POST token=<token>` as a form); the refresh token when there is one, since
# revoking it ends the whole grant.
RevokeStyle = Literal["strava_deauthorize", "oura_revoke", "bearer_delete", "token_form_post", "none"]
# Errors by which a token endpoint says "this grant is dead": the user has to authorise again.
REAUTH_ERRORS = {"invalid_grant", "invalid_token", "unauthorized_client", "access_denied", "invalid_client"}


@dataclass(frozen=True)
class OAuthConfig:
    """Everything the OAuth flow needs for one provider. Built from the provider's settings class."""

    provider: str
    client_id: str | None
    client_secret: str | None
    authorize_url: str
    token_url: str
    scopes: tuple[str, ...]
    scope_separator: str = " "
    use_pkce: bool = False
    revoke_url: str | None = None
    revoke_style: RevokeStyle = "none"
    extra_authorize_params: dict[str, str] = field(default_factory=dict)
    # Extra form fields sent with every token request (code exchange and refresh), for token endpoints that
    # multiplex several actions on one URL.
    token_params: dict[str, str] = field(default_factory=dict)
    # Turns the token endpoint's JSON body into an RFC 6749 token dict (or an {"error": ...} dict), for
    # providers that wrap their token answer in an envelope.
    token_response_hook: Callable[[Any], dict[str, Any]] | None = None
    refresh_margin_s: float = 300.0
    timeout_s: float = 30.0
    # The provider's id of the connected account, for a token response that does not carry it: called with the
    # fresh access token at connect time (webhooks name this id).
    user_id_lookup: Callable[[str], str | None] | None = None
    # The `scope` sent with a refresh-token request; None sends the configured scopes (authlib's default).
    refresh_scope: str | None = None
    # How the client authenticates at the token endpoint: "client_secret_post" (id and secret in the form) or
    # "client_secret_basic" (HTTP Basic, as Polar requires).
    token_endpoint_auth_method: str = "client_secret_post"
    # A step the provider requires after consent, before the connection counts (Polar: register the user with
    # the app). Called at connect time with the fresh token dict and the OpenFit athlete; raising AuthError
    # fails the connect and no token is stored.
    after_consent: Callable[[dict[str, Any], str], None] | None = None

    def __repr__(self) -> str:  # the secret must never reach a log line via repr()
        return f"OAuthConfig(provider={self.provider!r}, client_id={self.client_id!r}, client_secret=***)"

    @property
    def scope(self) -> str:
        return self.scope_separator.join(self.scopes)

    def require_credentials(self) -> None:
        missing = [name for name in ("client_id", "client_secret") if not getattr(self, name)]
        if missing:
            raise ProviderNotConfiguredError(self.provider, missing)

    def client(self, **kwargs: Any) -> OAuth2Client:
        self.require_credentials()
        oauth_client = OAuth2Client(
            client_id=self.client_id,
            client_secret=self.client_secret,
            token_endpoint_auth_method=self.token_endpoint_auth_method,
            scope=self.scope,
            timeout=self.timeout_s,
            code_challenge_method="S256" if self.use_pkce else None,
            **kwargs,
        )
        # Some providers (Strava) answer a bad grant with a 4xx JSON body that has no RFC 6749 "error" field;
        # authlib would take that body for a token. Turn every 4xx into an OAuthError here.
        oauth_client.register_compliance_hook("access_token_response", _raise_on_client_error)
        oauth_client.register_compliance_hook("refresh_token_response", _raise_on_client_error)
        if self.token_response_hook is not None:
            unwrap = _unwrapping_hook(self.token_response_hook)
            oauth_client.register_compliance_hook("access_token_response", unwrap)
            oauth_client.register_compliance_hook("refresh_token_response", unwrap)
        return oauth_client


class _UnwrappedResponse:
    """The token endpoint's response with its JSON body replaced by the provider hook's result."""

    def __init__(self, resp: Any, body: dict[str, Any]):
        self._resp = resp
        self._body = body
        self.status_code = resp.status_code
        self.headers = resp.headers

    def json(self) -> dict[str, Any]:
        return self._body

    def raise_for_status(self) -> None:
        self._resp.raise_for_status()


def _unwrapping_hook(hook: Callable[[Any], dict[str, Any]]) -> Callable[[Any], Any]:
    def unwrap(resp: Any) -> Any:
        try:
            body = resp.json()
        except ValueError:
            return resp
        token = hook(body)
        if isinstance(token, dict) and token.get("error"):
            raise OAuthError(str(token["error"]), str(token.get("error_description") or ""))
        return _UnwrappedResponse(resp, token)

    return unwrap


def _raise_on_client_error(resp: Any) -> Any:
    if 400 <= resp.status_code < 500:
        try:
            body = resp.json()
        except ValueError:
            body = {}
        error = body.get("error") if isinstance(body, dict) else None
        if resp.status_code == 429:
            raise OAuthError("rate_limited", "token endpoint rate limit")
        raise OAuthError(error or "invalid_grant", f"token endpoint answered HTTP {resp.status_code}")
    return resp


@dataclass(frozen=True)
class AuthorizationRequest:
    url: str
    state: str
    code_verifier: str | None
    redirect_uri: str

    def __repr__(self) -> str:
        return f"AuthorizationRequest(redirect_uri={self.redirect_uri!r})"


def start_authorization(config: OAuthConfig, redirect_uri: str) -> AuthorizationRequest:
    """Build the URL the user opens: fresh `state`, and a PKCE verifier when the provider takes one."""
    code_verifier = generate_token(64) if config.use_pkce else None
    state = secrets.token_urlsafe(24)
    with config.client(redirect_uri=redirect_uri) as oauth_client:
        url, _ = oauth_client.create_authorization_url(
            config.authorize_url,
            state=state,
            code_verifier=code_verifier,
            **config.extra_authorize_params,
        )
    return AuthorizationRequest(url=url, state=state, code_verifier=code_verifier, redirect_uri=redirect_uri)


def _normalise_token(token: dict[str, Any]) -> dict[str, Any]:
    """Keep what we need; Strava's token response embeds the athlete profile, which is not a secret we keep."""
    if not token.get("access_token"):
        raise AuthError("token endpoint response carries no access_token")
    kept = {k: token[k] for k in ("access_token", "refresh_token", "token_type", "scope") if token.get(k)}
    expires_at = token.get("expires_at")
    if expires_at is None and token.get("expires_in") is not None:
        expires_at = time.time() + float(token["expires_in"])
    kept["expires_at"] = float(expires_at) if expires_at is not None else None
    athlete = token.get("athlete")
    if isinstance(athlete, dict) and athlete.get("id") is not None:
        kept["provider_user_id"] = str(athlete["id"])
    elif token.get("provider_user_id") is not None:  # set by a provider's token_response_hook
        kept["provider_user_id"] = str(token["provider_user_id"])
    kept["obtained_at"] = time.time()
    return kept


def exchange_code(config: OAuthConfig, request: AuthorizationRequest, code: str) -> dict[str, Any]:
    """Trade the authorization code for tokens (POST to the token endpoint)."""
    with config.client(redirect_uri=request.redirect_uri) as oauth_client:
        try:
            token = oauth_client.fetch_token(
                config.token_url,
                grant_type="authorization_code",
                code=code,
                code_verifier=request.code_verifier,
                **config.token_params,
            )
        except OAuthError as exc:
            raise AuthError(f"{config.provider} refused the authorization code ({exc.error})") from None
    return _normalise_token(dict(token))


class TokenManager:
    """Hands out a valid access token for one (provider, athlete), refreshing ahead of expiry under a lock."""

    def __init__(self, config: OAuthConfig, store: TokenStore, athlete: str, max_refresh_attempts: int = 5):
        self.config = config
        self.store = store
        self.athlete = athlete
        self.max_refresh_attempts = max_refresh_attempts
        self.refresh_count = 0

    def _load(self) -> dict[str, Any]:
        token = self.store.load(self.config.provider, self.athlete)
        if token is None:
            status = self.store.status(self.config.provider, self.athlete)
            if status.needs_reauth:
                raise NeedsReauthError(self.config.provider, self.athlete, status.reason or "grant rejected")
            raise NotConnectedError(self.config.provider, self.athlete)
        if self.store.status(self.config.provider, self.athlete).needs_reauth:
            raise NeedsReauthError(self.config.provider, self.athlete, "grant rejected earlier")
        return token

    def _fresh(self, token: dict[str, Any]) -> bool:
        expires_at = token.get("expires_at")
        return expires_at is None or expires_at - time.time() > self.config.refresh_margin_s

    def access_token(self) -> str:
        token = self._load()
        if self._fresh(token):
            return token["access_token"]
        with self.store.lock(self.config.provider, self.athlete):
            token = self._load()  # re-read: another process may have refreshed while we waited
            if self._fresh(token):
                return token["access_token"]
            return self._refresh(token)["access_token"]

    def after_unauthorized(self, rejected_access_token: str) -> str:
        """The API answered 401 to `rejected_access_token`: refresh unless someone already did."""
        with self.store.lock(self.config.provider, self.athlete):
            token = self._load()
            if token["access_token"] != rejected_access_token:
                return token["access_token"]
            return self._refresh(token)["access_token"]

    def _refresh(self, token: dict[str, Any]) -> dict[str, Any]:
        provider, athlete = self.config.provider, self.athlete
        if not token.get("refresh_token"):
            self.store.mark_needs_reauth(provider, athlete, "token expired and no refresh token")
            raise NeedsReauthError(provider, athlete, "token expired and no refresh token")
        for attempt in range(1, self.max_refresh_attempts + 1):
            try:
                with self.config.client() as oauth_client:
                    extra = {"scope": self.config.refresh_scope} if self.config.refresh_scope else {}
                    fresh = oauth_client.refresh_token(
                        self.config.token_url,
                        refresh_token=token["refresh_token"],
                        **self.config.token_params,
                        **extra,
                    )
                break
            except OAuthError as exc:
                if exc.error in REAUTH_ERRORS:
                    self.store.mark_needs_reauth(provider, athlete, f"refresh rejected: {exc.error}")
                    log.warning(
                        "%s athlete %s: refresh rejected (%s); needs re-auth", provider, athlete, exc.error
                    )
                    raise NeedsReauthError(provider, athlete, f"refresh rejected: {exc.error}") from None
                failure = f"token endpoint error {exc.error}"
            except Exception as exc:  # network errors and 5xx: transient
                failure = redact(f"{type(exc).__name__}: {exc}")
            if attempt == self.max_refresh_attempts:
                raise AuthError(
                    f"{provider} token refresh failed after {attempt} attempts ({failure})"
                ) from None
            delay = min(30.0, 0.25 * 2 ** (attempt - 1)) * random.uniform(0.5, 1.5)
            log.info(
                "%s token refresh attempt %d failed (%s); retrying in %.2fs",
                provider,
                attempt,
                failure,
                delay,
            )
            time.sleep(delay)
        new_token = _normalise_token(dict(fresh))
        new_token.setdefault("refresh_token", token["refresh_token"])
        if "provider_user_id" in token:
            new_token.setdefault("provider_user_id", token["provider_user_id"])
        new_token.setdefault("scope", token.get("scope"))
        self.store.save(provider, athlete, new_token)
        self.refresh_count += 1
        log.info("%s athlete %s: access token refreshed", provider, athlete)
        return new_token

    def revoke(self) -> bool:
        """Revoke at the provider where it allows (best effort), then delete the local tokens.

        Returns whether the provider confirmed the revocation.
        """
        provider, athlete = self.config.provider, self.athlete
        token = self.store.load(provider, athlete)
        revoked = False
        if token and self.config.revoke_url and self.config.revoke_style != "none":
            try:
                with httpx.Client(timeout=self.config.timeout_s) as http:
                    if self.config.revoke_style == "strava_deauthorize":
                        resp = http.post(self.config.revoke_url, data={"access_token": token["access_token"]})
                    elif self.config.revoke_style == "token_form_post":
                        resp = http.post(
                            self.config.revoke_url,
                            data={"token": token.get("refresh_token") or token["access_token"]},
                        )
                    elif self.config.revoke_style == "bearer_delete":
                        resp = http.delete(
                            self.config.revoke_url,
                            headers={"Authorization": f"Bearer {token['access_token']}"},
                        )
                    else:  # oura_revoke
                        resp = http.get(
                            self.config.revoke_url, params={"access_token": token["access_token"]}
                        )
                revoked = resp.status_code < 400
                if not revoked:
                    log.warning(
                        "%s revoke answered HTTP %d; deleting local tokens anyway", provider, resp.status_code
                    )
            except httpx.HTTPError as exc:
                log.warning(
                    "%s revoke failed (%s); deleting local tokens anyway", provider, type(exc).__name__
                )
        with self.store.lock(provider, athlete):
            self.store.delete(provider, athlete)
        return revoked
