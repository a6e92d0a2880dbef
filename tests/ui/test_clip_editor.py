"""The job page's analysis runs and the clip editor (job page and gallery): the run's notice, an
earlier run shown again, a clip retitled, favourited, filtered, deleted; re-analyze asks first
only when it would replace edited clips."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from nicegui import ui
from nicegui.testing import User

from tests.lifecycle import WORKER, run_to
from tests.ui.conftest import logged_in
from tests.ui.data import make_completed_job, write_file
from viralclipper.models import clips, jobs, runs
from viralclipper.models.jobs import JobStatus, NotAllowedNow
from viralclipper.pipeline.analyze import LLM_UNAVAILABLE
from viralclipper.queue import api


async def test_runs_are_listed_with_their_notice_and_an_earlier_one_is_shown_again(
    user: User,
) -> None:
    account = await logged_in(user)
    job = make_completed_job(account.id, "Talk")
    [second] = clips.replace_clips(
        job.id, [{"start": 5.0, "end": 25.0, "score": 55, "title": "Offline pick", "criteria": []}]
    )
    runs.record_analysis(second.run_id, "offline", LLM_UNAVAILABLE, 0.2)
    await user.open(f"/jobs/{job.id}")
    await user.should_see(LLM_UNAVAILABLE)
    await user.should_see("Clips (1)")
    await user.should_see("#2 · offline · 1 clips, best 55")
    user.find(marker="show-run-1").click()
    await user.should_see("Clips (2)", retries=30)
    await user.should_see("Talk clip 1")
    await user.should_not_see(LLM_UNAVAILABLE)


async def test_the_clip_editor_retitles_favourites_and_deletes(user: User) -> None:
    account = await logged_in(user)
    job = make_completed_job(account.id, "Talk")
    first, second = clips.list_clips(job_id=job.id)
    await user.open(f"/jobs/{job.id}")

    user.find(marker=f"clip-{first.id}-edit").click()
    await user.should_see("Edit clip", retries=30)  # the editor reads the caption words first
    user.find(marker="edit-title").type(" (my cut)")
    user.find(marker="edit-save").click()
    await user.should_see("Clip saved.", retries=30)
    edited = clips.get_clip(first.id)
    assert (edited.title, edited.edited, edited.rendering) == (
        f"{first.title} (my cut)",
        True,
        False,
    )

    # re-analyzing would replace an edited clip: the page asks first
    user.find(marker="reanalyze").click()
    await user.should_see("Re-analyze and replace 1 clip you edited?", retries=30)
    user.find(marker="keep").click()

    user.find(marker=f"clip-{second.id}-favourite").click()
    await user.should_see("Marked as a favourite.", retries=30)
    user.find(marker=f"clip-{first.id}-delete").click()
    await user.should_see(f"Delete the clip “{edited.title}”?", retries=30)
    user.find(marker="confirm").click()
    await user.should_see("Clip deleted.", retries=30)
    assert [c.id for c in clips.list_clips(job_id=job.id)] == [second.id]

    await user.open("/clips")
    await user.should_see(second.title)
    user.find(marker="favourites-filter").click()
    await user.should_see("1 clip", retries=30)
    assert [c.id for c in clips.list_clips(user_id=account.id, favourites=True)] == [second.id]


async def test_a_new_clip_from_a_transcript_range(user: User) -> None:
    # the shading of the lines inside clips is drawn in the browser: test_browser_transcript.py
    account = await logged_in(user)
    job = make_completed_job(account.id, "Talk")
    await user.open(f"/jobs/{job.id}")
    user.find(marker="new-clip").click()
    user.find(marker="new-clip-start").clear().type("40")
    user.find(marker="new-clip-end").clear().type("52.5")
    user.find(marker="new-clip-save").click()
    await user.should_see("New clip: it is being rendered.", retries=30)
    made = [c for c in clips.list_clips(job_id=job.id) if c.score == 0]
    assert [(c.start, c.end, c.rendering, c.edited) for c in made] == [(40.0, 52.5, True, True)]
    assert made[0].run_id == clips.list_clips(job_id=job.id)[0].run_id


async def test_a_running_analysis_shows_each_clip_as_soon_as_it_is_rendered(user: User) -> None:
    account = await logged_in(user)
    job = make_completed_job(account.id, "Talk")
    jobs.reanalyze_job(job.id, {"analyzer": "offline"})
    run_to(job.id, JobStatus.ANALYZING)
    run = runs.begin_run(job.id)
    jobs.record_stage(job.id, "analyze", 0.1)
    jobs.advance_job(job.id, WORKER)
    await user.open(f"/jobs/{job.id}")
    await user.should_see("Clips (2)")
    await user.should_not_see("in progress")

    # what the worker does as each clip's files are complete
    folder = Path(job.media_path).parent
    clips.add_run_clip(
        run.id,
        1,
        {
            "start": 30.0,
            "end": 50.0,
            "score": 91,
            "title": "Fresh best",
            "criteria": [],
            "video_path": write_file(folder / "fresh.mp4"),
            "thumbnail_path": write_file(folder / "fresh.jpg", 300),
        },
    )
    jobs.update_job(job.id)
    await user.should_see("Analysis #2 in progress: 1 clip ready", retries=30)
    await user.should_see("Fresh best")
    await user.should_see("Clips (2)")  # the job's clips stay until the run completes
    assert [c.title for c in clips.list_clips(job_id=job.id)] == ["Talk clip 1", "Talk clip 2"]

    clips.save_run_clips(run.id, [], 1.0)
    jobs.record_stage(job.id, "slice", 1.0)
    jobs.advance_job(job.id, WORKER)
    await user.should_see("Clips (1)", retries=30)
    await user.should_not_see("in progress")


async def test_a_misheard_caption_word_is_fixed_in_the_editor(user: User) -> None:
    account = await logged_in(user)
    job = make_completed_job(account.id, "Talk")
    transcript = Path(job.transcript_path)
    said = json.loads(transcript.read_text())
    said["segments"][1]["words"] = [
        {"start": 12.5 + i, "end": 13.3 + i, "text": f" {text}", "probability": 0.9}
        for i, text in enumerate(["Nobody", "tells", "you", "this", "seekret."])
    ]
    transcript.write_text(json.dumps(said))
    first = clips.list_clips(job_id=job.id)[0]
    await user.open(f"/jobs/{job.id}")
    user.find(marker=f"clip-{first.id}-edit").click()
    await user.should_see("Caption words", retries=30)
    user.find(marker="caption-word-4").click()
    await user.should_see("Heard “seekret.” at 16.50 s; the captions say:")
    user.find(marker="caption-fix").clear().type("secret.")
    user.find(marker="caption-fix-save").click()
    await user.should_see("Caption word fixed: the clip is rendered again.", retries=30)
    fixed = clips.get_clip(first.id)
    assert (fixed.word_fixes, fixed.edited, fixed.rendering) == ({"16.500": "secret."}, True, True)
    assert [w.text for w in api.caption_words(first.id)][-1] == "secret."


async def test_a_re_render_shows_its_percentage_live_and_the_new_file_when_done(
    user: User,
) -> None:
    account = await logged_in(user)
    job = make_completed_job(account.id, "Talk")
    first = clips.list_clips(job_id=job.id)[0]
    await user.open(f"/jobs/{job.id}")
    user.find(marker=f"clip-{first.id}-edit").click()
    await user.should_see("Edit clip", retries=30)
    user.find(marker="edit-end").clear().type("28")
    user.find(marker="edit-save").click()
    await user.should_see("Rendering… 0%", retries=30)
    player = user.find(ui.video).elements.pop()  # one of the players: none is drawn again

    # what the render task does as ffmpeg goes (the live update of the job carries it)
    clips.update_clip(first.id, render_progress=45.0)
    jobs.update_job(job.id)
    await user.should_see("Rendering… 45%", retries=30)
    assert player in user.find(ui.video).elements

    folder = Path(job.media_path).parent
    clips.update_clip(
        first.id,
        rendering=False,
        render_progress=None,
        video_path=write_file(folder / "trimmed.mp4"),
    )
    jobs.update_job(job.id)
    await user.should_not_see("Rendering…", retries=30)
    await user.should_see("edited")


async def test_two_runs_are_compared_side_by_side(user: User) -> None:
    account = await logged_in(user)
    job = make_completed_job(account.id, "Talk")  # analysis 1: 0:10-0:30 and 0:20-0:40
    clips.replace_clips(
        job.id,
        [
            {"start": 10.0, "end": 30.0, "score": 80, "title": "Kept pick", "criteria": []},
            {"start": 45.0, "end": 60.0, "score": 60, "title": "Fresh pick", "criteria": []},
        ],
    )
    await user.open(f"/jobs/{job.id}")
    user.find(marker="compare-run-1").click()
    await user.should_see("Analysis #1 and #2", retries=30)
    await user.should_see("1 same, 1 new, 1 dropped")
    columns = {
        number: user.find(marker=f"compared-run-{number}").elements.pop() for number in (1, 2)
    }

    def rows(number: int, change: str) -> list[str]:
        found = user.find(marker=f"compared-{change}").elements
        inside = [row for row in found if columns[number] in row.ancestors()]
        return [
            next(e.text for e in row.descendants() if "ellipsis" in e.classes) for row in inside
        ]

    assert rows(1, "same") == ["Talk clip 1"] and rows(1, "dropped") == ["Talk clip 2"]
    assert rows(2, "same") == ["Kept pick"] and rows(2, "new") == ["Fresh pick"]
    await user.should_see("0:45–1:00")

    first, second = (r.run.id for r in reversed(runs.list_runs(job.id)))
    with pytest.raises(NotAllowedNow):
        api.compare_runs(job.id, first, first)
    failed = runs.begin_run(job.id)
    runs.end_run(failed.id, runs.RunStatus.FAILED, "no")
    with pytest.raises(NotAllowedNow):
        api.compare_runs(job.id, failed.id, second)


async def test_a_render_redraws_only_its_own_card(user: User) -> None:
    account = await logged_in(user)
    job = make_completed_job(account.id, "Talk", scores=(88, 60, 35))
    first, second, third = clips.list_clips(job_id=job.id, order="score")
    clips.update_clip(first.id, rendering=True, render_progress=10.0)
    clips.update_clip(third.id, rendering=True, render_progress=50.0)
    await user.open(f"/jobs/{job.id}")
    await user.should_see("Rendering… 10%")

    def player(clip_id: int) -> int:
        [card] = user.find(marker=f"clip-{clip_id}").elements
        [video] = [e for e in card.descendants() if isinstance(e, ui.video)]
        return video.id

    players = {clip.id: player(clip.id) for clip in (first, second)}
    clips.update_clip(first.id, render_progress=40.0)  # goes on while the third is done
    folder = Path(job.media_path).parent
    clips.update_clip(
        third.id, rendering=False, render_progress=None, video_path=write_file(folder / "3.mp4")
    )
    jobs.update_job(job.id)  # the live update that carries both
    await user.should_see("Rendering… 40%", retries=30)
    await user.should_not_see("Rendering… 50%")
    assert {clip_id: player(clip_id) for clip_id in players} == players
    assert player(third.id) not in players.values()
