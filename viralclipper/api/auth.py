"""`Authorization: Bearer <token>`: a personal API token from the account page. A missing,
malformed, unknown or revoked token is a 401; a user over API_REQUESTS_PER_MINUTE gets 429."""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import Depends, HTTPException, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from viralclipper.config import get_settings
from viralclipper.models import tokens
from viralclipper.models.tables import User
from viralclipper.queue.backend import get_backend
from viralclipper.queue.windows import Windows

bearer = HTTPBearer(
    auto_error=False, description="A personal API token, made on the account page (/account)."
)
CHALLENGE = {"WWW-Authenticate": "Bearer"}
WINDOW_SECONDS = 60.0


class RateLimit:
    """Requests per user within the last minute, counted where the backend says (Redis when
    scaled out: every web process shares them)."""

    @property
    def windows(self) -> Windows:
        return get_backend().windows("api")

    def admit(self, user_id: int) -> None:
        """Count a request; HTTPException 429 (with Retry-After) when the user has none left."""
        limit = get_settings().api_requests_per_minute
        if limit == 0:
            return
        admission = self.windows.admit({f"user:{user_id}": limit}, WINDOW_SECONDS)
        if admission.stamp is not None:
            return
        wait = max(1, math.ceil(admission.wait))
        raise HTTPException(
            429,
            f"Too many requests: at most {limit} a minute. Try again in {wait} s.",
            {"Retry-After": str(wait)},
        )

    def clear(self) -> None:
        self.windows.clear()


rate_limit = RateLimit()


def token_user(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
) -> User:
    if credentials is None:
        raise HTTPException(401, "Send an API token: `Authorization: Bearer <token>`.", CHALLENGE)
    user = tokens.user_for_token(credentials.credentials)
    if user is None:
        raise HTTPException(401, "This API token is not valid (revoked or mistyped).", CHALLENGE)
    rate_limit.admit(user.id)
    return user


TokenUser = Annotated[User, Depends(token_user)]
