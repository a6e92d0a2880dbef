"""The web app: `run(host, port)` serves it (`viralclipper serve`); `setup()` registers the
middleware, pages and file routes without starting anything (the tests use it).

Nothing happens at import time: NiceGUI's test harness re-imports the page modules for every test.
"""

from __future__ import annotations

import logging
from multiprocessing.process import BaseProcess

from nicegui import app, ui

from viralclipper.api.app import register as register_api
from viralclipper.config import get_settings
from viralclipper.models.instance import instance_secret
from viralclipper.queue.backend import get_backend
from viralclipper.ui import auth, element_cost, media, youtube
from viralclipper.ui.errors import register_error_handlers
from viralclipper.ui.frame import APP_NAME, apply_theme
from viralclipper.ui.headers import SecurityHeaders
from viralclipper.ui.pages import account, clips, dashboard, job_detail, jobs, login, settings
from viralclipper.ui.upload_limit import UploadLimit

log = logging.getLogger(__name__)
PAGES = (login, account, dashboard, jobs, job_detail, clips, settings)
# On Ctrl+C or `docker stop`, open requests get this long to finish before they are cut: an API
# client's event stream never ends by itself, and without a limit the server waited for it forever.
SHUTDOWN_GRACE_SECONDS = 5
FAVICON = (
    "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 24 24'><rect width='24' height='24' "
    "rx='5' fill='#5b4bdb'/><path d='M9 7.5v9l7-4.5z' fill='white'/></svg>"
)


def setup() -> None:
    """Register the login guard, every page and the media routes on NiceGUI's app."""
    element_cost.install()
    app.add_middleware(auth.AuthMiddleware)
    app.add_middleware(UploadLimit)
    app.add_middleware(SecurityHeaders)  # added last: outside the others, on every response
    register_error_handlers()
    apply_theme()
    auth.limiter.clear()  # a fresh app starts with no lock-outs
    auth.register_routes()
    for page in PAGES:
        page.register()
    media.register_routes()
    youtube.register_routes()
    register_api(app)


def session_cookie() -> dict[str, object]:
    """The session cookie's flags: Secure with SECURE_COOKIES (HttpOnly is always set)."""
    return {"https_only": get_settings().secure_cookies, "same_site": "lax"}


def use_data_dir_for_sessions() -> None:
    """Keep NiceGUI's server-side user storage (the sessions) in the data dir, not the cwd."""
    from nicegui.storage import Storage

    Storage.path = (get_settings().data_dir / "sessions").resolve()
    app.storage = Storage()


def manage_embedded_worker() -> None:
    """Embedded, run a Huey consumer in a child process for as long as the app runs."""
    if not get_backend().serve_starts_worker:
        return
    worker: dict[str, BaseProcess] = {}

    def start() -> None:
        from viralclipper.queue.consumer import start_embedded_worker

        worker["process"] = start_embedded_worker()
        log.info("embedded worker started (pid %s)", worker["process"].pid)

    def stop() -> None:
        process = worker.pop("process", None)
        if process is None or not process.is_alive():
            return
        process.terminate()  # SIGTERM: Huey's consumer finishes cleanly
        process.join(timeout=10)
        if process.is_alive():
            process.kill()

    app.on_startup(start)
    app.on_shutdown(stop)


def run(host: str | None = None, port: int | None = None) -> None:
    """Serve the web app (blocking) on `host`:`port` (defaults from HOST / PORT)."""
    from viralclipper.models import upgrade_database

    settings = get_settings()
    upgrade_database()
    use_data_dir_for_sessions()
    setup()
    manage_embedded_worker()
    ui.run(
        host=host or settings.host,
        port=port or settings.port,
        title=APP_NAME,
        favicon=FAVICON,
        storage_secret=instance_secret(),
        session_middleware_kwargs=session_cookie(),
        reload=False,
        show=False,
        reconnect_timeout=10.0,
        timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS,
    )
