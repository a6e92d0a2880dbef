"""Jobs: add one (URL or uploaded file), and the live, filterable, paginated list (job_list)."""

from __future__ import annotations

import asyncio

from viralclipper.models.tables import User
from viralclipper.ui.auth import protected_page
from viralclipper.ui.frame import frame
from viralclipper.ui.job_list import JobTable, register_styles
from viralclipper.ui.submit import submit_box


def register() -> None:
    register_styles()

    @protected_page("/jobs")
    async def jobs_page(user: User) -> None:
        with frame("Jobs", user) as live:
            table = JobTable(user, live)
            reading = asyncio.create_task(table.reload())  # while the submit box reads its own
            await submit_box(user, on_added=table.reload_now)
            await reading
            table.build()
