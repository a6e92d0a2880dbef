"""An unknown address: the app's own not-found page in the frame, with a way back; the API's
unknown addresses keep answering JSON. (The page as drawn in a browser: tests/ui/test_phone.py.)"""

from __future__ import annotations

from nicegui.testing import User

from tests.ui.conftest import logged_in, make_account


async def test_an_unknown_page_is_the_apps_own_not_found_page(user: User) -> None:
    await logged_in(user)
    page = await user.http_client.get("/no/such/page")
    assert page.status_code == 404
    assert "Not found · Viral Clipper" in page.text  # the frame's title
    # the sentence, the way back, and the logged-in frame: its navigation and its user menu
    # (whose items, the email among them, are built when it is first opened: test_element_cost)
    shown = ("This page was not found.", "Back to the dashboard", "Settings", "account_circle")
    for text in shown:
        assert text in page.text
    assert "HTTPException" not in page.text  # not NiceGUI's page


async def test_a_guest_is_sent_to_log_in_first(user: User) -> None:
    make_account()  # an instance with users (a fresh one opens on creating the admin)
    await user.open("/no/such/page")
    await user.should_see("Welcome back")
    await user.should_not_see(marker="not-found")


async def test_the_api_answers_json(user: User) -> None:
    await logged_in(user)
    for path in ("/api/no/such/thing", "/api/jobs/999999"):
        answer = await user.http_client.get(path)
        assert answer.status_code in (401, 404), path
        assert answer.headers["content-type"].startswith("application/json"), path
