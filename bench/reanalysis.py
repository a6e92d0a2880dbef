"""Re-analysis benchmark: on a generated talk, the offline analysis itself, and the time from
the re-analyze click to the first new clip playable, with a real worker process.

    .venv/bin/python -m bench.reanalysis [--minutes 10]

Three re-analyses after the first run: unchanged settings (every clip reused), a changed
analysis setting (fewer clips: the remaining ones reused), a changed render setting (9:16: every
clip rendered again). "Playable" is when the new run has stored its first clip with its MP4 on
disk: the job page shows it then (in the analysis in progress), before the run completes.
Targets (issue 10): analysis < 1 s, first new clip playable < 10 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.tables import table


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=10.0)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="vc-bench-"))
    os.environ.update(VIRALCLIPPER_DATA_DIR=str(work / "data"), ANALYZER="offline")

    from viralclipper.models import clips, jobs, runs, upgrade_database
    from viralclipper.models.settings import save_user_settings
    from viralclipper.models.users import create_user
    from viralclipper.pipeline.process import stage_analyze
    from viralclipper.pipeline.progress import Reporter
    from viralclipper.pipeline.sample import default_script, make_sample_talk
    from viralclipper.queue import api
    from viralclipper.queue.runner import load_transcript

    t = time.perf_counter()
    talk = make_sample_talk(work / "talk.mp4", default_script(args.minutes))
    print(f"generated a {talk.duration:.0f} s talk in {time.perf_counter() - t:.1f} s")
    upgrade_database()
    user = create_user("bench@example.com", "a long bench password")
    worker = subprocess.Popen(
        [sys.executable, "-m", "viralclipper", "worker", "--workers", "1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        job = jobs.create_job(user.id, str(talk.path), api.options_for_user(user.id), upload=True)
        api._enqueue(job, "bench")
        t = time.perf_counter()
        _wait(lambda: jobs.get_job(job.id).status in {"completed", "failed"}, 1800)
        done = jobs.get_job(job.id)
        print(f"first run: {done.status} in {time.perf_counter() - t:.1f} s {done.stage_seconds}")

        transcript = load_transcript(done)
        options = done.clip_settings
        audio = Path(done.audio_path) if done.audio_path else None
        analysis = []
        for _ in range(5):
            t = time.perf_counter()
            stage_analyze(transcript, audio, Reporter(), options)
            analysis.append(time.perf_counter() - t)

        rows = [["offline analysis (median of 5)", f"{statistics.median(analysis):.2f}", "", ""]]
        for name, change in (
            ("unchanged settings", {}),
            ("fewer clips (analysis setting)", {"max_clips": max(1, options.max_clips - 3)}),
            ("9:16 (render setting)", {"output_format": "vertical"}),
        ):
            if change:
                save_user_settings(user.id, **change)
            before = jobs.get_job(job.id).current_run_id
            t = time.perf_counter()
            api.reanalyze_job(job.id, user.id)
            _wait(lambda b=before: _playable(jobs.get_job(job.id), b, clips, runs), 600)
            playable = time.perf_counter() - t
            _wait(lambda: jobs.get_job(job.id).status == "completed", 600)
            run = runs.list_runs(job.id)[0].run
            log = run.log.strip().splitlines()[-1]
            rows.append([f"re-analyze, {name}", f"{playable:.2f}", str(run.stage_seconds), log])
        print()
        print(
            table(
                f"Re-analysis on a {talk.duration / 60:.0f}-minute talk (offline analyzer)",
                ["what", "seconds to first new clip playable", "run stage seconds", "run log"],
                rows,
            )
        )
    finally:
        worker.terminate()
        worker.wait(timeout=30)


def _playable(job, before: int | None, clips, runs) -> bool:
    newest = runs.list_runs(job.id)[0].run
    if newest.id == before:
        return False
    ready = clips.run_clips(newest.id)
    return any(c.video_path and Path(c.video_path).is_file() for c in ready)


def _wait(done, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise TimeoutError("the benchmark waited too long")
        time.sleep(0.05)


if __name__ == "__main__":
    main()
