"""The one Huey instance, from the backend (SqliteHuey embedded, RedisHuey scaled out).

Built on first use rather than at import, so a process (or a test) picks up its configuration
before the queue exists. The tasks are thin: the work is in `queue.runner`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from huey.api import TaskWrapper

from viralclipper.queue.backend import Watched, get_backend


@dataclass(frozen=True)
class Queue:
    huey: Watched
    process_job: TaskWrapper
    render_clip: TaskWrapper
    send_webhook: TaskWrapper
    publish_clip: TaskWrapper


@lru_cache
def get_queue() -> Queue:
    from viralclipper.queue import runner, webhooks, youtube

    huey = get_backend().make_huey()
    process_job = huey.task(name="process_job")(runner.run_job)
    render_clip = huey.task(name="render_clip")(runner.rerender_clip)
    send_webhook = huey.task(name="send_webhook")(webhooks.send_webhook)
    publish_clip = huey.task(name="publish_clip")(youtube.run_publication)
    return Queue(huey, process_job, render_clip, send_webhook, publish_clip)
