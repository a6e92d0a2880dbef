"""The kept answer to NiceGUI's "does this handler take an argument?" is NiceGUI's own."""

from __future__ import annotations

import nicegui.helpers
from nicegui import ui
from nicegui.helpers import functions
from nicegui.testing import User

from tests.ui.conftest import logged_in
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
