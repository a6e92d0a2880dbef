"""The clips gallery and the media routes (ownership, HTTP ranges, downloads)."""

from __future__ import annotations

import io
import json
import zipfile

from nicegui import ui
from nicegui.element_filter import ElementFilter
from nicegui.testing import User
from sqlmodel import update

from tests.ui.conftest import logged_in, make_account, open_dialogs
from tests.ui.data import make_completed_job
from tests.waiting import wait_for_async
from viralclipper.models import clips, jobs, session
from viralclipper.models.tables import Clip
from viralclipper.queue import api


async def test_the_gallery_shows_my_clips_and_filters_them(user: User) -> None:
    other = make_account("other@example.com")
    theirs = make_completed_job(other.id, "Not mine")
    account = await logged_in(user)
    first = make_completed_job(account.id, "Alpha", scores=(91, 20))
    make_completed_job(account.id, "Beta", scores=(55,))
    await user.open("/clips")
    await user.should_see("3 clips")
    await user.should_see("Alpha clip 1")
    await user.should_not_see("Reason 1: a question opens it.")  # folded, built when opened
    with user:
        for why in user.find(kind=ui.expansion, content="Why this clip").elements:
            why.open()
    await user.should_see("Reason 1: a question opens it.")
    await user.should_see("viral hooks")  # criteria chips
    await user.should_not_see("Not mine clip 1")

    user.find(marker="min-score").elements.pop().value = 50
    await user.should_see("2 clips", retries=20)
    await user.should_not_see("Alpha clip 2")

    user.find(marker="job-filter").elements.pop().value = first.id
    await user.should_see("1 clip", retries=20)
    await user.should_not_see("Beta clip 1")

    await user.open(f"/clips?job={first.id}")  # a link from the job page
    await user.should_see("2 clips")
    await user.open(f"/clips?job={theirs.id}")  # someone else's job: all of mine instead
    await user.should_see("3 clips")
    await user.should_not_see("Not mine clip 1")


async def test_media_is_served_with_ranges_and_only_to_the_owner(user: User) -> None:
    other = make_account("other@example.com")
    theirs = clips.list_clips(job_id=make_completed_job(other.id, "Theirs").id)[0]
    account = await logged_in(user)
    mine = clips.list_clips(job_id=make_completed_job(account.id, "Mine").id)[0]
    http = user.http_client  # carries this browser's session cookie

    whole = await http.get(f"/media/clips/{mine.id}.mp4")
    assert whole.status_code == 200 and len(whole.content) == 1000
    assert whole.headers["content-type"] == "video/mp4"
    assert whole.headers["accept-ranges"] == "bytes"

    part = await http.get(f"/media/clips/{mine.id}.mp4", headers={"Range": "bytes=0-99"})
    assert part.status_code == 206
    assert part.content == whole.content[:100]
    assert part.headers["content-range"] == "bytes 0-99/1000"

    download = await http.get(f"/media/clips/{mine.id}.srt?download=1")
    assert download.status_code == 200
    assert download.headers["content-disposition"].startswith("attachment")
    assert (
        f'filename="{api.download_name(mine.title, "srt")}"'
        in download.headers["content-disposition"]
    )
    archive = await http.get(f"/media/jobs/{mine.job_id}/clips.zip")
    assert archive.status_code == 200 and archive.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(archive.content)) as listed:
        assert [e["title"] for e in json.loads(listed.read("clips.json"))][0] == mine.title
    chosen = await http.get(f"/media/clips.zip?ids={mine.id}")
    with zipfile.ZipFile(io.BytesIO(chosen.content)) as listed:
        assert [e["title"] for e in json.loads(listed.read("clips.json"))] == [mine.title]
    assert (await http.get(f"/media/clips/{mine.id}.jpg")).headers["content-type"] == "image/jpeg"
    assert (await http.get(f"/media/jobs/{mine.job_id}/source")).status_code == 200

    for path in (
        f"/media/clips/{theirs.id}.mp4",
        f"/media/jobs/{theirs.job_id}/source",
        f"/media/jobs/{theirs.job_id}/clips.zip",
        f"/media/jobs/{theirs.job_id}/lines.json",
        f"/media/clips.zip?ids={mine.id},{theirs.id}",
        f"/media/clips/{mine.id}.exe",
        "/media/clips/999.mp4",
    ):
        assert (await http.get(path)).status_code == 404, path

    http.cookies.clear()  # no session at all
    assert (await http.get(f"/media/clips/{mine.id}.mp4")).status_code == 404


async def test_the_clip_card_offers_downloads(user: User) -> None:
    account = await logged_in(user)
    clip = clips.list_clips(job_id=make_completed_job(account.id, "Solo", scores=(70,)).id)[0]
    await user.open("/clips")
    hrefs = {button.props.get("href") for button in user.find(ui.button).elements}
    assert f"/media/clips/{clip.id}.mp4?download=1" in hrefs
    assert f"/media/clips/{clip.id}.srt?download=1" in hrefs


async def test_vertical_clips_show_as_a_grid_of_tiles_that_open_a_player(user: User) -> None:
    account = await logged_in(user)
    tall = make_completed_job(account.id, "Tall", scores=(70, 65))
    jobs.update_job(tall.id, options={**tall.options, "output_format": "vertical"})
    make_completed_job(account.id, "Wide", scores=(60,))
    tall_clip = clips.list_clips(job_id=tall.id)[0]
    long_title = "A title far too long for a narrow tile, " * 3 + "kept whole"
    clips.update_clip(tall_clip.id, title=long_title)

    await user.open("/clips")

    await user.should_see(marker=f"tile-{tall_clip.id}")
    with user:
        (grid,) = [g for g in ElementFilter(kind=ui.grid) if "grid-cols-2" in g.classes]
    assert {"grid-cols-2", "md:grid-cols-4", "lg:grid-cols-6"} <= set(grid.classes)
    cells = grid.default_slot.children
    tiles = [c for c in cells if any(m.startswith("tile-") for m in c._markers)]
    assert len(tiles) == 2 and len(cells) == 3  # the 16:9 clip is a card two columns wide
    assert [c for c in cells if c not in tiles][0].classes == ["col-span-2"]
    picture = user.find(marker=f"tile-picture-{tall_clip.id}").elements.pop()
    assert picture.style["aspect-ratio"] == "9 / 16"
    (preview,) = [e for e in picture.descendants() if e.tag == "video"]
    assert preview.props["src"].startswith(f"/media/clips/{tall_clip.id}.mp4")
    assert preview.props["muted"] is True and preview.props["preload"] == "none"
    hover = {listener.type: listener.js_handler for listener in tiles[0]._event_listeners.values()}
    assert "play()" in hover["mouseenter"] and "pause()" in hover["mouseleave"]  # in the browser
    await user.should_see(long_title)  # whole, wrapped
    await user.should_not_see(marker="vertical-clip")  # no big player until one is opened

    user.find(marker=f"tile-{tall_clip.id}").click()
    await wait_for_async(lambda: open_dialogs(user))
    [player] = user.find(marker="vertical-clip").elements  # the clip large, with its tools
    assert player.props["src"].startswith(f"/media/clips/{tall_clip.id}.mp4")
    assert player.style["aspect-ratio"] == "9 / 16"
    await user.should_see(marker=f"clip-{tall_clip.id}-favourite")


def card_ids(user: User, clip_ids: list[int]) -> dict[int, int]:
    """The element id of each clip's card in the gallery, by clip id (absent: not shown)."""
    with user:
        return {
            clip_id: card.id
            for clip_id in clip_ids
            for card in ElementFilter(marker=f"clip-{clip_id}")
        }


async def test_the_gallery_redraws_only_the_cards_of_clips_that_changed(user: User) -> None:
    account = await logged_in(user)
    first = make_completed_job(account.id, "Alpha", scores=(91, 50))
    best, worst = (clip.id for clip in clips.list_clips(job_id=first.id, order="score"))
    await user.open("/clips")
    await user.should_see("2 clips")
    before = card_ids(user, [best, worst])

    user.find(marker=f"clip-{best}-favourite").click()  # an edit: the gallery reads again
    await wait_for_async(lambda: card_ids(user, [best])[best] != before[best])
    assert card_ids(user, [worst]) == {worst: before[worst]}
    best_card = card_ids(user, [best])[best]

    second = make_completed_job(account.id, "Beta", scores=(70,))  # completes: heard live
    await user.should_see("3 clips", retries=30)
    [new] = [clip.id for clip in clips.list_clips(job_id=second.id)]
    assert card_ids(user, [best, worst]) == {best: best_card, worst: before[worst]}
    with user:
        [grid] = [g for g in ElementFilter(kind=ui.grid) if "grid-cols-2" in g.classes]
    cards = {f"clip-{clip_id}" for clip_id in (best, worst, new)}
    shown = [
        marker
        for cell in grid.default_slot.children
        for element in cell.descendants(include_self=True)
        for marker in element._markers
        if marker in cards
    ]
    assert shown == [f"clip-{best}", f"clip-{new}", f"clip-{worst}"]  # best first

    user.find(marker=f"clip-{new}-delete").click()
    await user.should_see(marker="confirm", retries=30)
    user.find(marker="confirm").click()
    await user.should_see("2 clips", retries=30)
    assert card_ids(user, [best, worst, new]) == {best: best_card, worst: before[worst]}


async def test_a_criterion_with_markup_shows_as_text(user: User) -> None:
    """Criteria come from the analysis (an LLM's answer): a card draws them as text, never as
    markup of the page."""
    account = await logged_in(user)
    job = make_completed_job(account.id, "Hostile", scores=(80,))
    hostile = '<img src=x onerror="alert(1)">'
    with session() as db:
        db.exec(update(Clip).where(Clip.job_id == job.id).values(criteria=[hostile, "a&b"]))
    await user.open("/clips")
    await user.should_see("Hostile clip 1")
    drawn = [html.content for html in user.find(kind=ui.html).elements]
    assert any("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in content for content in drawn)
    assert any("a&amp;b" in content for content in drawn)
    assert not any("<img" in content for content in drawn)
