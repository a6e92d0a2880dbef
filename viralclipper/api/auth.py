"""`Authorization: Bearer <token>`: a personal API token from the account page. A missing,
malformed, unknown or revoked token is a 401; a user over API_REQUESTS_PER_MINUTE gets 429."""

from __future__ import annotations

import math
import threading
import time
from collections import defaultdict, deque
from typing import Annotated

from fastapi import Depends, HTTPException, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from viralclipper.config import get_settings
from viralclipper.models import tokens
from viralclipper.models.tables import User

bearer = HTTPBearer(
    auto_error=False, description="A personal API token, made on the account page (/account)."
)
CHALLENGE = {"WWW-Authenticate": "Bearer"}
WINDOW_SECONDS = 60.0


class RateLimit:
    """Requests per user within the last minute, in this process."""

    def __init__(self) -> None:
        self._seen: dict[int, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def admit(self, user_id: int) -> None:
        """Count a request; HTTPException 429 (with Retry-After) when the user has none left."""
        limit = get_settings().api_requests_per_minute
        if limit == 0:
            return
        now = time.monotonic()
        with self._lock:
            seen = self._seen[user_id]
            while seen and seen[0] <= now - WINDOW_SECONDS:
                seen.popleft()
            if len(seen) < limit:
                seen.append(now)
                return
            wait = math.ceil(seen[0] + WINDOW_SECONDS - now)
        raise HTTPException(
            429,
            f"Too many requests: at most {limit} a minute. Try again in {wait} s.",
            {"Retry-After": str(wait)},
        )

    def clear(self) -> None:
        with self._lock:
            self._seen.clear()


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
