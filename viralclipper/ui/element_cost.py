"""Less work per NiceGUI element. NiceGUI 3 asks `inspect.signature` whether each change
handler takes an argument, for the classes, style and props of every element it creates: a
fifth of the CPU time of drawing a page under load (py-spy, bench/web.py). Those handlers are
bound methods of a few functions, so the answer is kept per function; any other callable (a
lambda made per call) is inspected as before."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import nicegui.helpers
from nicegui.helpers import functions

_inspect = functions.expects_arguments
_answers: dict[Callable[..., Any], bool] = {}


def expects_arguments(func: Callable[..., Any]) -> bool:
    """NiceGUI's `expects_arguments`, kept per function for bound methods."""
    if not inspect.ismethod(func):
        return _inspect(func)
    function = func.__func__
    answer = _answers.get(function)
    if answer is None:
        answer = _answers[function] = _inspect(func)
    return answer


def install() -> None:
    """NiceGUI's modules call it as `helpers.expects_arguments`."""
    nicegui.helpers.expects_arguments = expects_arguments
