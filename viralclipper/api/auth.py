"""`Authorization: Bearer <token>`: a personal API token from the account page. A missing,
malformed, unknown or revoked token is a 401."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from viralclipper.models import tokens
from viralclipper.models.tables import User

bearer = HTTPBearer(
    auto_error=False, description="A personal API token, made on the account page (/account)."
)
CHALLENGE = {"WWW-Authenticate": "Bearer"}


def token_user(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
) -> User:
    if credentials is None:
        raise HTTPException(401, "Send an API token: `Authorization: Bearer <token>`.", CHALLENGE)
    user = tokens.user_for_token(credentials.credentials)
    if user is None:
        raise HTTPException(401, "This API token is not valid (revoked or mistyped).", CHALLENGE)
    return user


TokenUser = Annotated[User, Depends(token_user)]
