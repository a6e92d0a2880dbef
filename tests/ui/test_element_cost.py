"""The kept answer to NiceGUI's "does this handler take an argument?" is NiceGUI's own."""

from __future__ import annotations

import nicegui.helpers
from nicegui import ui
from nicegui.helpers import functions
from nicegui.testing import User

from tests.ui.conftest import logged_in
from tests.ui.data import make_completed_job, make_job
from viralclipper.ui import element_cost


class Handlers:
    def with_argument(self, change) -> None: ...

    def without(self) -> None: ...

    def optional(self, change=None) -> None: ...


def test_the_answers_are_nicegui_s_for_methods_and_other_callables() -> None:
    for _ in range(2):  # asked, then kept
        for handler in (
            Handlers().with_argument,
            Handlers().without,
            Handlers().optional,
            lambda change: None,
            lambda: None,
        ):
            expected = functions.expects_arguments(handler)
            assert element_cost.expects_arguments(handler) is expected
    assert element_cost.expects_arguments(Handlers().with_argument) is True
    assert element_cost.expects_arguments(Handlers().without) is False


async def test_the_app_draws_its_pages_with_it(user: User) -> None:
    await logged_in(user)
    await user.open("/jobs")
    await user.should_see("Jobs")
    assert nicegui.helpers.expects_arguments is element_cost.expects_arguments
    [label] = [e for e in user.find(kind=ui.label, content="Jobs").elements if e.text == "Jobs"]
    with user:
        label.classes("text-negative")  # a change through the kept answer reaches the element
    assert "text-negative" in label.classes


# What one load of each page builds (bench/page.py counts the same in the page's HTML): the
# menus, the options fields, the upload dialog and the clip cards' reasoning wait until they are
# opened; hover texts are titles, a card's criteria one element and the theme the app's.
PAGE_ELEMENTS = {"/jobs": 42, "/": 218}
ON_DEMAND = ["navigation-jobs", "logout", "option-format", "uploader"]


async def test_a_page_load_builds_few_elements_and_the_rest_when_opened(user: User) -> None:
    me = await logged_in(user)
    for n in range(3):
        make_completed_job(me.id, f"A finished talk {n}")
    make_job(me.id, "A queued talk")
    for page, bound in PAGE_ELEMENTS.items():
        await user.open(page)
        await user.should_see("A queued talk")
        assert len(user.client.elements) <= bound, page
        for marker in ON_DEMAND:
            await user.should_not_see(marker=marker)

    await user.should_not_see("a question opens it")  # no card's reasoning until opened
    built = len(user.client.elements)
    for opener, opened in [
        ("navigation-menu", "navigation-jobs"),
        ("user-menu", "logout"),
        ("upload-button", "uploader"),
    ]:
        user.find(marker=opener).click()
        await user.should_see(marker=opened)
    with user:
        user.find(marker="options").elements.pop().open()
    await user.should_see(marker="option-format")
    why = user.find(kind=ui.expansion, content="Why this clip").elements
    assert len(why) == 6, "one on each of the best clips"
    with user:
        why.pop().open()
    await user.should_see("a question opens it")
    assert len(user.client.elements) > built

    user.find(marker="navigation-menu").click()  # a second click builds nothing more
    user.find(marker="navigation-jobs").click()
    await user.should_see("4 jobs")
