"""Queue benchmark, embedded (SQLite + SqliteHuey) and scaled out (Postgres + RedisHuey):
enqueue-to-start latency, progress-write-to-subscriber latency, and short jobs per minute with
one and two workers. Real worker processes run the real pipeline on generated talks.

    .venv/bin/python -m bench.queue [--latency-jobs 20] [--writes 100] [--jobs 8]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench.tables import table
from tests.waiting import wait_for

# What every process of the benchmark (this one, the writer, the workers) runs with.
BENCH_ENV = {
    "ANALYZER": "offline",
    "MIN_CLIP_SECONDS": "3",
    "MAX_CLIP_SECONDS": "20",
    "MAX_CLIPS": "1",
    "ALLOW_PRIVATE_URLS": "true",  # the talks are served on 127.0.0.1
}
TINY_SCRIPT = "Here is the secret nobody tells you."
TARGET_P95 = {"embedded": 1.0, "scaled": 0.1}  # progress to a subscriber, seconds


# --- small helpers ---------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}"


# --- the backends ----------------------------------------------------------------------------


@contextmanager
def backend_env(name: str, work: Path) -> Iterator[dict[str, str]]:
    """Configure this process for one backend (env + fresh caches); yield the workers' env."""
    from tests.pg import throwaway_database
    from tests.queue.conftest import REDIS_URL, reset_process_state
    from viralclipper.models import upgrade_database

    env = {**BENCH_ENV, "VIRALCLIPPER_DATA_DIR": str(work / name / "data")}
    with throwaway_database("vc_bench") if name == "scaled" else nullcontext(None) as db_url:
        if db_url:
            env.update(
                DATABASE_URL=db_url,
                REDIS_URL=REDIS_URL,
                QUEUE_NAME=f"vc-bench-{uuid.uuid4().hex[:8]}",
            )
        os.environ.update(env)
        reset_process_state()
        upgrade_database()
        try:
            yield env
        finally:
            if name == "scaled":
                from viralclipper.queue.app import get_queue

                get_queue().huey.storage.flush_all()
            for key in env:
                os.environ.pop(key, None)
            reset_process_state()


@contextmanager
def workers(env: dict[str, str], processes: int, threads: int, logs: Path) -> Iterator[None]:
    """Real `viralclipper worker` processes, ready to consume when the block starts; stopped
    with SIGINT when it ends."""
    from tests.queue.conftest import Backend

    logs.mkdir(parents=True, exist_ok=True)
    backend = Backend("bench", env, logs=logs)
    try:
        for _ in range(processes):
            backend.start_worker(threads)
        wait_for(
            lambda: backend.worker_logs().count("Huey consumer started") == processes,
            60,
            "the workers to start",
        )
        yield
    finally:
        backend.stop_workers()


def wait_finished(job_ids: list[int], timeout: float = 240) -> list:
    from viralclipper.models import jobs

    def all_done():
        found = [jobs.get_job(i) for i in job_ids]
        return found if all(j.finished_at for j in found) else None

    done = wait_for(all_done, timeout, f"jobs {job_ids} to finish")
    failed = [f"{j.id}: {j.error_message}" for j in done if j.status != "completed"]
    if failed:
        raise RuntimeError(f"jobs did not complete: {failed}")
    return done


# --- 1. enqueue to start ---------------------------------------------------------------------


@dataclass
class EnqueueResult:
    to_start: list[float]  # submit_job() called -> the job's started_at
    submit_call: list[float]  # how long submit_job() itself took (part of the above)


def enqueue_to_start(
    env: dict[str, str], user_id: int, url: str, count: int, logs: Path
) -> EnqueueResult:
    """Seconds from submit_job() to the job's started_at (claimed, out of `pending`), one job at
    a time on an idle worker, after a random idle pause (0-1 s, like a user's) so the consumer's
    polling back-off is measured as a user meets it. The same URL each time: after the first job
    (a warm-up, not counted) download and transcript come from the caches, so jobs are short."""
    from viralclipper.queue.api import submit_job

    pauses = random.Random(3)
    result = EnqueueResult([], [])
    with workers(env, 1, 1, logs):
        wait_finished([submit_job(user_id, url).id])
        for _ in range(count):
            time.sleep(pauses.uniform(0, 1))
            submitted = datetime.now(UTC)
            job_id = submit_job(user_id, url).id
            result.submit_call.append((datetime.now(UTC) - submitted).total_seconds())
            job = wait_finished([job_id])[0]
            result.to_start.append((job.started_at - submitted).total_seconds())
    return result


# --- 1b. cancel while transcribing ----------------------------------------------------------


def cancel_latency(
    env: dict[str, str], user_id: int, site, talk: Path, count: int, logs: Path
) -> list[float]:
    """Seconds from cancel_job() to the job's `cancelled`, each cancel sent 0.5 s into the
    transcription of its own copy of a one-minute talk (nothing cached). Target: 2 s."""
    from viralclipper.models import jobs
    from viralclipper.queue.api import cancel_job, submit_job

    latencies = []
    with workers(env, 1, 1, logs):
        for i in range(count):
            name = f"cancel-{uuid.uuid4().hex[:6]}-{i}.mp4"
            shutil.copy(talk, site.root / name)
            job_id = submit_job(user_id, site.url(name)).id
            wait_for(
                lambda j=job_id: jobs.get_job(j).status == "transcribing",
                120,
                "transcription to start",
                interval=0.02,
            )
            time.sleep(0.5)
            asked = time.perf_counter()
            cancel_job(job_id, user_id)
            wait_for(
                lambda j=job_id: jobs.get_job(j).status == "cancelled",
                30,
                "the cancel",
                interval=0.01,
            )
            latencies.append(time.perf_counter() - asked)
    return latencies


# --- 2. progress write to subscriber ---------------------------------------------------------


@dataclass
class ProgressResult:
    delivered: list[float]  # per write that the subscriber heard itself
    freshness: list[float]  # per write: until it, or a later write, was heard
    writes: int


def progress_to_subscriber(user_id: int, writes: int, spacing: float) -> ProgressResult:
    """A writer process reports progress through the runner's own JobReporter (its throttle
    off, so every write is a real write); this process subscribes and times each arrival."""
    from viralclipper.models import jobs
    from viralclipper.queue.events import subscribe
    from viralclipper.queue.transport import JobUpdate

    job = jobs.create_job(user_id, "bench://progress", {})
    heard: list[tuple[int, float]] = []
    lock = threading.Lock()

    def record(update: JobUpdate) -> None:
        step = update.current_step or ""
        if update.id == job.id and step.startswith("bench write "):
            with lock:
                heard.append((int(step.split()[2]), time.time()))

    unsubscribe = subscribe(user_id, record)
    try:
        time.sleep(0.5)  # the listener thread subscribes (Redis) or takes its first look
        writer = subprocess.run(
            [sys.executable, "-m", "bench.queue", "--progress-writer", str(job.id), str(writes)]
            + [str(spacing)],
            env={**os.environ, "PROGRESS_INTERVAL_SECONDS": "0"},
            cwd=Path(__file__).resolve().parent.parent,
            capture_output=True,
            text=True,
            check=True,
        )
        wrote = json.loads(writer.stdout)
        wait_for(lambda: heard and heard[-1][0] == writes - 1, 5, "the last write to arrive")
    finally:
        unsubscribe()
    arrivals = dict(heard)  # write index -> first arrival (each write is heard once at most)
    delivered = [arrivals[i] - wrote[i] for i in sorted(arrivals)]
    freshness = [min(t for j, t in heard if j >= i) - written for i, written in enumerate(wrote)]
    return ProgressResult(delivered, freshness, writes)


def write_progress(job_id: int, writes: int, spacing: float) -> None:
    """The writer process: `writes` progress reports `spacing` s apart; prints their times."""
    from viralclipper.models import jobs
    from viralclipper.queue.runner import JobReporter

    reporter = JobReporter(jobs.get_job(job_id), "bench-writer", "transcribe")
    times = []
    next_at = time.monotonic()
    for i in range(writes):
        time.sleep(max(0.0, next_at - time.monotonic()))
        next_at += spacing
        times.append(time.time())
        reporter.progress(i / writes, f"bench write {i}")
    print(json.dumps(times))


# --- 3. short jobs per minute ----------------------------------------------------------------

WORKER_SETUPS = [  # label, worker processes, threads per process
    ("1 worker", 1, 1),
    ("2 workers (2 processes)", 2, 1),
    ("2 workers (1 process, 2 threads)", 1, 2),
]


@dataclass
class Throughput:
    label: str
    seconds: float  # first submit -> last finished_at
    jobs: int
    stage_means: dict[str, float]  # mean seconds per job in each stage
    load: float  # the machine's 1-minute load average when the last job finished

    @property
    def per_minute(self) -> float:
        return self.jobs / self.seconds * 60


def jobs_per_minute(
    env: dict[str, str], user_id: int, site, short: Path, count: int, setup, logs: Path
) -> Throughput:
    """Submit `count` jobs at once, each on its own copy of the short talk (its own URL, so no
    download or transcript cache is shared), and time them to the last one finished."""
    from viralclipper.models.jobs import STAGES
    from viralclipper.queue.api import submit_job

    label, procs, threads = setup
    tag = uuid.uuid4().hex[:6]
    names = [f"short-{tag}-{i}.mp4" for i in range(1, count + 1)]
    for name in names:
        shutil.copy(short, site.root / name)
    with workers(env, procs, threads, logs / tag):
        started = datetime.now(UTC)
        submitted = [submit_job(user_id, site.url(name)).id for name in names]
        done = wait_finished(submitted)
    seconds = (max(j.finished_at for j in done) - started).total_seconds()
    means = {stage: sum(j.stage_seconds[stage] for j in done) / count for stage in STAGES}
    return Throughput(label, seconds, count, means, os.getloadavg()[0])


# --- the run ---------------------------------------------------------------------------------


@dataclass
class BackendResult:
    name: str
    enqueue: EnqueueResult
    progress: ProgressResult
    throughput: list[Throughput]
    cancels: list[float]  # cancel_job() -> cancelled, seconds


def bench_backend(
    name: str, args: argparse.Namespace, site, short: Path, talk: Path, work: Path
) -> BackendResult:
    from viralclipper.models.users import create_user

    print(f"[{name}] running ...", flush=True)
    with backend_env(name, work) as env:
        user = create_user(f"bench-{name}@example.com", "correct horse battery")
        progress = progress_to_subscriber(user.id, args.writes, args.spacing)
        logs = work / name / "logs"
        enqueue = enqueue_to_start(
            env, user.id, site.url("tiny.mp4"), args.latency_jobs, logs / "latency"
        )
        cancels = cancel_latency(env, user.id, site, talk, args.cancels, logs / "cancel")
        throughput = []
        for setup in WORKER_SETUPS:
            result = jobs_per_minute(env, user.id, site, short, args.jobs, setup, logs)
            throughput.append(result)
            print(
                f"[{name}] {result.label}: {args.jobs} jobs in {result.seconds:.1f} s", flush=True
            )
    return BackendResult(name, enqueue, progress, throughput, cancels)


def enqueue_table(results: list[BackendResult]) -> str:
    rows = [
        [
            r.name,
            len(r.enqueue.to_start),
            ms(percentile(r.enqueue.to_start, 50)),
            ms(percentile(r.enqueue.to_start, 95)),
            ms(max(r.enqueue.to_start)),
            ms(percentile(r.enqueue.submit_call, 50)),
        ]
        for r in results
    ]
    return table(
        "enqueue-to-start latency: submit_job() -> started_at (ms), one job at a time, idle worker",
        ["backend", "jobs", "p50", "p95", "max", "of which submit_job() p50"],
        rows,
    )


def progress_row(name: str, p: ProgressResult) -> list[str]:
    p95, target = percentile(p.freshness, 95), TARGET_P95[name]
    return [
        name,
        f"{len(p.delivered)}/{p.writes}",
        ms(percentile(p.delivered, 50)),
        ms(percentile(p.delivered, 95)),
        ms(percentile(p.freshness, 50)),
        ms(p95),
        f"< {ms(target)}",
        f"{p95 / target:.2f} ({'met' if p95 < target else 'NOT met'})",
    ]


def progress_table(results: list[BackendResult], writes: int, spacing: float) -> str:
    return table(
        f"progress write -> subscriber callback (ms), {writes} writes {ms(spacing)} ms apart "
        "by JobReporter.progress in another process",
        ["backend", "heard", "p50 heard", "p95 heard", "p50 fresh", "p95 fresh", "target p95"]
        + ["p95 fresh / target"],
        [progress_row(r.name, r.progress) for r in results],
    ) + (
        "\nheard: the writes the subscriber received themselves; fresh: per write, until it or a"
        "\nlater write arrived (polling shows the latest row, so skipped writes count as stale)."
    )


def throughput_table(results: list[BackendResult], jobs: int, short_seconds: float) -> str:
    rows = [
        [
            r.name,
            t.label,
            f"{t.seconds:.1f}",
            f"{t.per_minute:.1f}",
            f"{t.per_minute / r.throughput[0].per_minute:.2f}x",
            " / ".join(f"{s:.1f}" for s in t.stage_means.values()),
            f"{t.load:.1f}",
        ]
        for r in results
        for t in r.throughput
    ]
    return table(
        f"short jobs per minute: {jobs} jobs submitted at once, each its own URL (a copy of one "
        f"{short_seconds:.0f} s talk: nothing cached), offline analyzer, 1 clip",
        ["backend", "workers", "seconds", "jobs/min", "vs 1 worker", "s/job: dl / tr / an / sl"]
        + ["load"],
        rows,
    ) + (
        "\nseconds: first submit -> last finished_at; s/job: mean seconds per job in download /"
        "\ntranscribe / analyze / slice; each worker process loads Whisper once, in its first job;"
        f"\nload: 1-minute load average at the end ({os.cpu_count()} cores; our own workers alone"
        "\nmake about 2, more means other processes competed for the CPU)"
    )


def cancel_table(results: list[BackendResult]) -> str:
    rows = [
        [
            r.name,
            len(r.cancels),
            ms(percentile(r.cancels, 50)),
            ms(percentile(r.cancels, 95)),
            ms(max(r.cancels)),
            f"{max(r.cancels) / 2:.2f} ({'met' if max(r.cancels) < 2 else 'NOT met'})",
        ]
        for r in results
    ]
    return table(
        "cancel while transcribing: cancel_job() -> status cancelled (ms)",
        ["backend", "cancels", "p50", "p95", "max", "max / 2 s target"],
        rows,
    )


def report(results: list[BackendResult], args: argparse.Namespace, short_seconds: float) -> None:
    print(enqueue_table(results), end="\n\n")
    print(cancel_table(results), end="\n\n")
    print(progress_table(results, args.writes, args.spacing), end="\n\n")
    print(throughput_table(results, args.jobs, short_seconds))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency-jobs", type=int, default=20)
    parser.add_argument("--writes", type=int, default=100)
    parser.add_argument("--spacing", type=float, default=0.05)
    parser.add_argument("--jobs", type=int, default=8)
    parser.add_argument("--cancels", type=int, default=5)
    parser.add_argument("--backends", nargs="+", default=["embedded", "scaled"])
    parser.add_argument("--progress-writer", nargs=3, metavar=("JOB", "WRITES", "SPACING"))
    args = parser.parse_args()
    if args.progress_writer:
        job_id, writes, spacing = args.progress_writer
        write_progress(int(job_id), int(writes), float(spacing))
        return

    from tests.http_server import serve_directory
    from viralclipper.pipeline.sample import FILLER, make_sample_talk

    begun = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="vc-bench-queue-"))
    site_root = work / "site"
    site_root.mkdir()
    try:
        make_sample_talk(site_root / "tiny.mp4", [(TINY_SCRIPT, False)])
        short = make_sample_talk(work / "short.mp4", [(FILLER[0], False)])
        talk = make_sample_talk(work / "talk.mp4")
        with serve_directory(site_root) as site:
            results = [
                bench_backend(name, args, site, short.path, talk.path, work)
                for name in args.backends
            ]
        print()
        report(results, args, short.duration)
        print(f"\nbenchmark took {time.perf_counter() - begun:.0f} s")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
