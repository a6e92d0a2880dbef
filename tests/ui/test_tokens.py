"""API tokens on the account page: made (the secret shown once), listed with last use, revoked."""

from __future__ import annotations

from nicegui import ui
from nicegui.testing import User

from tests.ui.conftest import logged_in, open_dialogs
from tests.waiting import wait_for_async
from viralclipper.models import tokens


async def test_make_use_and_revoke_a_token(user: User) -> None:
    account = await logged_in(user)
    await user.open("/account")
    await user.should_see(marker="no-tokens")
    user.find(marker="token-name").type("my script")
    user.find(marker="create-token").click()
    await user.should_see("Copy the token now")
    [field] = user.find(marker="new-token").elements
    assert isinstance(field, ui.input)
    secret = field.value
    [token] = tokens.list_tokens(account.id)
    assert token.name == "my script" and secret.startswith(token.prefix)
    response = await user.http_client.get(
        "/api/v1/jobs", headers={"Authorization": f"Bearer {secret}"}
    )
    assert response.status_code == 200

    await user.open("/account")  # shown once: a new visit lists it without its secret
    await user.should_see("my script")
    await user.should_not_see(marker="new-token")
    await user.should_see(f"{token.prefix}…")
    user.find(marker=f"revoke-{token.id}").click()
    await wait_for_async(lambda: open_dialogs(user))
    user.find(marker="confirm").click()
    await user.should_see(marker="no-tokens")
    response = await user.http_client.get(
        "/api/v1/jobs", headers={"Authorization": f"Bearer {secret}"}
    )
    assert response.status_code == 401


async def test_a_token_needs_a_name(user: User) -> None:
    await logged_in(user)
    await user.open("/account")
    user.find(marker="create-token").click()
    await user.should_see("Give the token a name")
