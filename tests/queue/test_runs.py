"""Analysis runs through real worker processes, on both backends: a re-analysis reuses the clips
it did not change, and one that is cancelled, fails or meets an LLM outage never costs the job
its clips or its completed state."""

from __future__ import annotations

import os
import time
from pathlib import Path

from tests.http_server import VideoServer
from tests.lifecycle import run_to
from tests.pipeline.fake_llm import FakeLLM, Reply, answer_from_prompt
from tests.queue.conftest import EMBEDDED, SCALED, Backend, wait_for_status
from tests.waiting import wait_for
from viralclipper.config import get_settings
from viralclipper.models import clips, jobs, runs
from viralclipper.models.instance import save_instance_settings
from viralclipper.models.settings import save_user_settings
from viralclipper.models.tables import User
from viralclipper.models.users import set_admin
from viralclipper.pipeline.analyze import LLM_UNAVAILABLE
from viralclipper.queue import api, cleanup

FINISHED = {"completed", "failed", "cancelled"}


def shown(job_id: int) -> dict[str, int]:
    """The job's clips as shown: each video file with its modification time."""
    return {c.video_path: Path(c.video_path).stat().st_mtime_ns for c in clips.list_clips(job_id)}


def reanalyze(job_id: int, user: User, backend: Backend) -> jobs.Job:
    api.reanalyze_job(job_id, user.id)
    return reanalyze_finished(job_id, backend)


def latest_run(job_id: int) -> runs.RunSummary:
    return runs.list_runs(job_id)[0]


@EMBEDDED
def test_reanalysis_runs_never_cost_the_job_its_clips(
    backend: Backend, user: User, site: VideoServer
):
    set_admin(user.id, True)
    backend.start_worker()
    job = api.submit_job(user.id, site.url("short.mp4"))
    assert wait_for_status(job.id, FINISHED, backend).status == "completed"
    first = shown(job.id)
    assert first and latest_run(job.id).run.analyzer == "offline"

    # unchanged clips are reused as they are: same file, same modification time
    done = reanalyze(job.id, user, backend)
    assert done.status == "completed"
    assert shown(job.id) == first
    second = latest_run(job.id)
    assert (second.run.number, second.current, second.run.status) == (2, True, "completed")
    assert "reused" in second.run.log

    with FakeLLM() as llm:
        save_instance_settings(user.id, llm_base_url=llm.url)
        save_user_settings(user.id, analyzer="llm")

        # cancelled while the LLM thinks: the job is completed with the same clips
        llm.script(Reply(content=answer_from_prompt, delay=4))
        api.reanalyze_job(job.id, user.id)
        wait_for(lambda: llm.requests, 60, "the LLM request", details=backend.logs_tail)
        api.cancel_job(job.id, user.id)
        wait_for(
            lambda: latest_run(job.id).run.status == "cancelled",
            60,
            "the cancelled run",
            details=backend.logs_tail,
        )
        done = wait_for_status(job.id, FINISHED, backend)
        assert (done.status, done.error_message, done.current_run_id) == (
            "completed",
            None,
            second.run.id,
        )
        assert shown(job.id) == first

        # the LLM answers 503: ranked offline, and the run says so
        for _ in range(3):  # the request and the client's two retries
            llm.fail(503, "overloaded", error_type="server_error", headers={"retry-after-ms": "5"})
        done = reanalyze(job.id, user, backend)
        outage = latest_run(job.id)
        assert done.status == "completed" and outage.current
        assert (outage.run.analyzer, outage.run.notice) == ("offline", LLM_UNAVAILABLE)
        assert any(LLM_UNAVAILABLE in e.message for e in jobs.list_events(job.id))

    # a re-analysis that fails (its source video is gone, and every clip needs a new render)
    Path(done.media_path).unlink()
    save_user_settings(user.id, analyzer="offline", output_format="vertical")
    done = reanalyze(job.id, user, backend)
    failed = latest_run(job.id)
    assert failed.run.status == "failed" and failed.run.error_message
    assert (done.status, done.error_message, done.current_run_id) == (
        "completed",
        None,
        outage.run.id,
    )
    assert done.options == outage.run.options  # the settings of the clips it shows
    assert shown(job.id) == first
    assert [r.run.status for r in runs.list_runs(job.id)] == [
        "failed",
        "completed",
        "cancelled",
        "completed",
        "completed",
    ]

    # an earlier run can be shown again
    api.switch_run(job.id, second.run.id, user.id)
    assert jobs.get_job(job.id).current_run_id == second.run.id
    assert shown(job.id) == first


def ready_in_open_run(job_id: int) -> list[clips.Clip]:
    """The clips an analysis in progress has stored so far, each with its file on disk."""
    run = runs.open_run(job_id)
    ready = clips.run_clips(run.id) if run else []
    return ready if ready and all(Path(c.video_path).is_file() for c in ready) else []


@SCALED
def test_a_runs_clips_are_published_one_by_one_best_first(
    backend: Backend, user: User, site: VideoServer
):
    backend.start_worker()
    job = api.submit_job(user.id, site.url("talk.mp4"))
    # the first analysis: its best clip is there while the next one renders, not yet shown
    early = wait_for(
        lambda: ready_in_open_run(job.id), 180, "a first clip", details=backend.logs_tail
    )
    assert [c.rank for c in early] == [1]
    assert clips.list_clips(job.id) == []
    assert wait_for_status(job.id, FINISHED, backend).status == "completed"
    first = shown(job.id)
    first_run = jobs.get_job(job.id).current_run_id
    assert len(first) == 2

    # a re-analysis that renders every clip again (9:16): its first clip is ready while the
    # job still shows the earlier clips, and it is among the clips shown once the run completes
    save_user_settings(user.id, output_format="vertical")
    api.reanalyze_job(job.id, user.id)
    early = wait_for(
        lambda: ready_in_open_run(job.id), 120, "a re-rendered clip", details=backend.logs_tail
    )
    assert [c.rank for c in early] == [1] and early[0].video_path not in first
    assert shown(job.id) == first
    done = reanalyze_finished(job.id, backend)
    assert done.status == "completed"
    final = clips.list_clips(job.id)
    assert final[0].id == early[0].id and final[0].video_path == early[0].video_path
    assert len(final) == 2 and not set(shown(job.id)) & set(first)

    # a clip rendered again after an edit: its progress is on the clip while it renders
    best = final[0]
    api.edit_clip(best.id, user.id, end=best.end - 1.0)
    wait_for(
        lambda: 0 < (clips.get_clip(best.id).render_progress or 0) < 100,
        60,
        "the render's progress",
        interval=0.02,
        details=backend.logs_tail,
    )
    wait_for(lambda: not clips.get_clip(best.id).rendering, 60, "the render to end")
    again = clips.get_clip(best.id)
    assert again.render_progress is None and again.video_path != best.video_path

    # undo shows the analysis's files again at once (the cleanup kept them for it)
    assert Path(best.video_path).is_file()
    undone = api.undo_clip_edits(best.id, user.id)
    assert not undone.rendering and (undone.video_path, undone.end) == (best.video_path, best.end)

    # the disk: files no clip the user can reach uses go (the undone edit's, once older than
    # a render in progress could be; a rejected clip's); the earlier analysis's files stay (it
    # can be shown again)
    edit_files = [again.video_path, again.thumbnail_path, again.subtitles_path]
    for path in edit_files:
        os.utime(path, (time.time() - 3600,) * 2)
    api.reject_clip(final[1].id, user.id)
    srt = Path(final[1].subtitles_path)
    gone = {final[1].video_path, final[1].thumbnail_path, str(srt), str(srt.with_suffix(".vtt"))}
    assert gone | set(edit_files) <= {str(p) for p in cleanup.clean_clip_files()}
    assert all(Path(p).is_file() for p in [undone.video_path, undone.thumbnail_path, *first])
    api.switch_run(job.id, first_run, user.id)
    assert shown(job.id) == first


def reanalyze_finished(job_id: int, backend: Backend) -> jobs.Job:
    wait_for(
        lambda: runs.open_run(job_id) is None and jobs.get_job(job_id).status in FINISHED,
        120,
        "the re-analysis to end",
        details=backend.logs_tail,
    )
    return jobs.get_job(job_id)


def test_the_cleanup_removes_only_clip_files_nobody_can_reach(backend: Backend, user: User):
    job = jobs.create_job(user.id, "https://example.com/v")
    run_to(job.id, jobs.JobStatus.COMPLETED)
    folder = get_settings().data_dir / "jobs" / str(job.id)

    def rendered(run_id: int, name: str) -> dict:
        files = {s: folder / "runs" / str(run_id) / f"{name}.{s}" for s in SUFFIXES}
        for path in files.values():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"x")
        return {
            "start": 1.0,
            "end": 9.0,
            "score": 50,
            "title": name,
            "criteria": [],
            "video_path": str(files["mp4"]),
            "thumbnail_path": str(files["jpg"]),
            "subtitles_path": str(files["srt"]),
        }

    kept = runs.begin_run(job.id)
    clips.save_run_clips(kept.id, [rendered(kept.id, "clip-01"), rendered(kept.id, "clip-02")])
    rejected = clips.run_clips(kept.id)[1]
    clips.update_clip(rejected.id, rejected=True)
    failed = runs.begin_run(job.id)
    clips.add_run_clip(failed.id, 1, rendered(failed.id, "clip-01"))
    runs.end_run(failed.id, runs.RunStatus.FAILED, "no")
    edits = folder / "edits"
    edits.mkdir()
    (edits / "clip-1-old.mp4").write_bytes(b"x")
    os.utime(edits / "clip-1-old.mp4", (time.time() - 3600,) * 2)
    (edits / "clip-1-new.mp4").write_bytes(b"x")  # a render may be writing it: too new to go

    removed = {p.relative_to(folder).as_posix() for p in cleanup.clean_clip_files()}
    assert removed == {
        *(f"runs/{kept.id}/clip-02.{s}" for s in SUFFIXES),
        *(f"runs/{failed.id}/clip-01.{s}" for s in SUFFIXES),
        "edits/clip-1-old.mp4",
    }
    assert all((folder / "runs" / str(kept.id) / f"clip-01.{s}").is_file() for s in SUFFIXES)
    assert (edits / "clip-1-new.mp4").is_file()


SUFFIXES = ("mp4", "jpg", "srt", "vtt")
