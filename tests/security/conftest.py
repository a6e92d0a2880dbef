"""The queue's fixtures (backends with real workers, a user, the sample talks) for these tests."""

from tests.queue.conftest import backend, short_talk, user  # noqa: F401
