"""The one Huey instance: SqliteHuey in the data dir when REDIS_URL is unset, RedisHuey when set.

Built on first use rather than at import, so a process (or a test) picks up its configuration
before the queue exists. The tasks are thin: the work is in `queue.runner`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from huey import Huey, RedisHuey, SqliteHuey
from huey.api import TaskWrapper

from viralclipper.config import get_settings


@dataclass(frozen=True)
class Queue:
    huey: Huey
    process_job: TaskWrapper
    render_clip: TaskWrapper

    @property
    def embedded(self) -> bool:
        return isinstance(self.huey, SqliteHuey)


def _make_huey() -> Huey:
    settings = get_settings()
    if settings.redis_url:
        return RedisHuey(settings.queue_name, url=settings.redis_url, blocking=True, read_timeout=1)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(settings.queue_name, filename=str(settings.data_dir / "queue.db"))


@lru_cache
def get_queue() -> Queue:
    from viralclipper.queue import runner

    huey = _make_huey()
    process_job = huey.task(name="process_job")(runner.run_job)
    render_clip = huey.task(name="render_clip")(runner.rerender_clip)
    return Queue(huey, process_job, render_clip)
