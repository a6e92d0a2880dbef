"""The API on the web app, in-process (NiceGUI's simulated app, no server); requests carry real
tokens made through models/tokens.py."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.ui.conftest import PASSWORD, simulated_browser
from viralclipper.models import tokens, users
from viralclipper.models.tables import User


@pytest.fixture
async def client(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the app (no cookies: the API never needs a session)."""
    async with simulated_browser(tmp_path, caplog) as simulated:
        yield simulated.http_client


def account(email: str) -> tuple[User, dict[str, str]]:
    """A user and the Authorization header of a fresh token of theirs."""
    user = users.create_user(email, PASSWORD)
    _, secret = tokens.create_token(user.id, "tests")
    return user, {"Authorization": f"Bearer {secret}"}
