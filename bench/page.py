"""The server's cost of one page load, with no load around it: `viralclipper serve` (embedded)
on 127.0.0.1, one logged-in user with a handful of jobs, one client loading a page again and
again. Per page: ms per GET (median, p95), the NiceGUI elements the page carries, and, in a
second pass, a cProfile of the web process's event loop thread during the loads (the top
functions by own time and by cumulative time; wall-clock, so a function also carries the time
its thread waited for the GIL while a database read ran in a worker thread).

    .venv/bin/python -m bench.page [--loads 50] [--paths /jobs /] [--top 10]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import os
import pstats
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.queue import backend_env, ms, percentile
from bench.web import EMAIL, PASSWORD, log_in, page_state
from tests.waiting import wait_for

WARM_UP = 3  # loads per page before measuring (imports, caches)


def serve_profiled(port: int, stats_path: Path) -> None:
    """Run `viralclipper serve`; the first SIGUSR1 starts profiling the event loop's thread,
    the second stops it and writes the stats to `stats_path`."""
    from viralclipper.cli import main

    profiler = cProfile.Profile()
    started = False

    def toggle(*_: object) -> None:
        nonlocal started, profiler
        if started:
            profiler.disable()
            writing = stats_path.with_suffix(".writing")
            profiler.dump_stats(writing)
            writing.rename(stats_path)  # whole, when the bench sees it
        else:
            profiler = cProfile.Profile()  # each window on its own
            profiler.enable()
        started = not started

    signal.signal(signal.SIGUSR1, toggle)
    main(["serve", "--host", "127.0.0.1", "--port", str(port)])


@contextmanager
def server(env: dict[str, str], stats_path: Path) -> Iterator[tuple[str, subprocess.Popen]]:
    from tests.ui.browser import FOREIGN_ENV, free_port

    port = free_port()
    log = Path(env["VIRALCLIPPER_DATA_DIR"]) / "server.log"
    child_env = {key: value for key, value in os.environ.items() if key not in FOREIGN_ENV}
    child_env.update(env)
    with open(log, "w") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "bench.page", "--serve", str(port), str(stats_path)],
            env=child_env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: "Huey consumer started" in log.read_text(), 60, "the web app")
        yield base, process
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def make_jobs(user_id: int) -> None:
    """A handful of jobs in the states a list shows: finished with clips, queued, failed."""
    from tests.ui.data import make_completed_job, make_job
    from viralclipper.models.jobs import JobStatus

    for n in range(3):
        make_completed_job(user_id, f"A finished talk {n}")
    make_job(user_id, "A queued talk")
    make_job(user_id, "A failed talk", JobStatus.FAILED, error_message="The video is private.")


async def loads(
    base: str, cookies: dict[str, str], path: str, count: int
) -> tuple[list[float], str]:
    """Seconds per GET of `path` (after WARM_UP loads), and the last page's HTML."""
    import httpx

    times, html = [], ""
    async with httpx.AsyncClient(base_url=base, cookies=cookies, timeout=30) as http:
        for n in range(WARM_UP + count):
            started = time.perf_counter()
            answer = await http.get(path)
            if n >= WARM_UP:
                times.append(time.perf_counter() - started)
            answer.raise_for_status()
            html = answer.text
    return times, html


def element_kinds(html: str, count: int) -> str:
    """The most frequent element tags on the page, "tag × n"."""
    kinds = Counter(element.get("tag", "?") for element in page_state(html)[1].values())
    return ", ".join(f"{tag} × {n}" for tag, n in kinds.most_common(count))


def top(stats_path: Path, key: str, count: int) -> str:
    out = io.StringIO()
    stats = pstats.Stats(str(stats_path), stream=out)
    stats.sort_stats(key).print_stats(count)
    return "\n".join(line for line in out.getvalue().splitlines() if line.strip())


def measure(paths: list[str], count: int, top_count: int) -> None:
    from viralclipper.models.users import create_user

    work = Path(tempfile.mkdtemp(prefix="vc-bench-page-"))
    stats_path = work / "page.prof"
    try:
        with backend_env("embedded", work) as env, server(env, stats_path) as (base, process):
            user = create_user(EMAIL, PASSWORD)
            make_jobs(user.id)
            cookies = asyncio.run(log_in(base, EMAIL, PASSWORD))
            for path in paths:
                times, html = asyncio.run(loads(base, cookies, path, count))
                print(
                    f"GET {path}: median {ms(percentile(times, 50))} ms, p95 "
                    f"{ms(percentile(times, 95))} ms over {count} loads; "
                    f"{len(page_state(html)[1])} elements, {len(html.encode()) / 1024:.0f} KB",
                    flush=True,
                )
                print(f"  elements: {element_kinds(html, top_count)}", flush=True)
            for path in paths:
                asyncio.run(loads(base, cookies, path, 0))  # warm, unprofiled
                process.send_signal(signal.SIGUSR1)
                asyncio.run(loads(base, cookies, path, count))
                process.send_signal(signal.SIGUSR1)
                wait_for(stats_path.exists, 20, "the profile")
                for key in ("tottime", "cumulative"):
                    print(f"\n--- {path}: top {top_count} by {key} ({count} loads, profiled)")
                    print(top(stats_path, key, top_count), flush=True)
                stats_path.unlink()
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--loads", type=int, default=50)
    parser.add_argument("--paths", nargs="+", default=["/jobs", "/"])
    parser.add_argument("--top", type=int, default=10)
    parser.add_argument("--serve", nargs=2, metavar=("PORT", "STATS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve_profiled(int(args.serve[0]), Path(args.serve[1]))
    else:
        measure(args.paths, args.loads, args.top)


if __name__ == "__main__":
    main()
