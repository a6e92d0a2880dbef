"""The REST API: tokens, ownership, jobs, clips, transcript, settings, errors."""

from __future__ import annotations

import httpx
import pytest

from tests.api.conftest import account
from tests.ui.data import make_completed_job, make_job
from viralclipper.models import jobs, tokens


async def test_info_and_openapi_need_no_token(client: httpx.AsyncClient) -> None:
    info = await client.get("/api/v1")
    assert info.status_code == 200
    assert info.json()["links"]["openapi"] == "/api/v1/openapi.json"
    schema = await client.get("/api/v1/openapi.json")
    assert schema.status_code == 200
    assert "/v1/jobs/{job_id}" in schema.json()["paths"]
    docs = await client.get("/api/docs")
    assert docs.status_code == 200
    assert "openapi.json" in docs.text


def account_headers(user) -> dict[str, str]:
    _, secret = tokens.create_token(user.id, "more")
    return {"Authorization": f"Bearer {secret}"}


async def _clips(client: httpx.AsyncClient, job_id: int, headers: dict) -> list[dict]:
    response = await client.get(f"/api/v1/jobs/{job_id}/clips", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_clips_files_transcript_with_ranges(client: httpx.AsyncClient) -> None:
    ann, headers = account("ann@example.com")
    job = make_completed_job(ann.id)
    clips = await _clips(client, job.id, headers)
    assert [c["rank"] for c in clips] == [1, 2]
    best = clips[0]
    assert "video_path" not in best and best["video_url"] == f"/api/v1/clips/{best['id']}/video"
    video = await client.get(best["video_url"], headers=headers)
    assert video.status_code == 200 and video.headers["content-type"] == "video/mp4"
    part = await client.get(best["video_url"], headers={**headers, "Range": "bytes=10-19"})
    assert part.status_code == 206
    assert part.content == video.content[10:20]
    download = await client.get(best["video_url"] + "?download=true", headers=headers)
    assert "attachment" in download.headers["content-disposition"]
    thumb = await client.get(best["thumbnail_url"], headers=headers)
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    srt = await client.get(best["subtitles_url"], headers=headers)
    assert srt.status_code == 200
    vtt = await client.get(best["subtitles_url"] + "?format=vtt", headers=headers)
    assert vtt.text.startswith("WEBVTT")

    base = f"/api/v1/jobs/{job.id}/transcript"
    as_json = await client.get(base, headers=headers)
    assert as_json.json()["segments"][1]["text"].strip() == "Nobody tells you this secret."
    text = await client.get(base + "?format=txt", headers=headers)
    assert "Nobody tells you this secret." in text.text
    srt = await client.get(base + "?format=srt", headers=headers)
    assert "00:00:12,500 --> 00:00:17,000" in srt.text
    vtt = await client.get(base + "?format=vtt", headers=headers)
    assert vtt.text.startswith("WEBVTT") and "00:00:12.500 --> 00:00:17.000" in vtt.text
    bad = await client.get(base + "?format=doc", headers=headers)
    assert bad.status_code == 422


async def test_job_actions_list_filter_and_delete(client: httpx.AsyncClient) -> None:
    ann, headers = account("ann@example.com")
    done = make_completed_job(ann.id)
    pending = make_job(ann.id, "Waiting")
    listed = (await client.get("/api/v1/jobs?status=pending", headers=headers)).json()
    assert [j["id"] for j in listed["items"]] == [pending.id] and listed["total"] == 1
    page = (await client.get("/api/v1/jobs?limit=1&offset=1", headers=headers)).json()
    assert page["total"] == 2 and [j["id"] for j in page["items"]] == [done.id]
    assert (await client.get("/api/v1/jobs?status=nope", headers=headers)).status_code == 422
    assert (await client.get("/api/v1/jobs?limit=0", headers=headers)).status_code == 422

    retry = await client.post(f"/api/v1/jobs/{done.id}/retry", headers=headers)
    assert retry.status_code == 409 and retry.json()["detail"]
    cancelled = await client.post(f"/api/v1/jobs/{pending.id}/cancel", headers=headers)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    events = (await client.get(f"/api/v1/jobs/{pending.id}/events", headers=headers)).json()
    assert any("cancelled" in e["message"] for e in events)
    again = await client.post(f"/api/v1/jobs/{pending.id}/retry", headers=headers)
    assert again.status_code == 200 and again.json()["status"] == "pending"
    reanalyze = await client.post(f"/api/v1/jobs/{done.id}/reanalyze", headers=headers)
    assert reanalyze.status_code == 200 and reanalyze.json()["status"] == "pending"

    gone = await client.delete(f"/api/v1/jobs/{done.id}", headers=headers)
    assert gone.status_code == 204 and jobs.get_job(done.id) is None
    assert (await client.get(f"/api/v1/jobs/{done.id}", headers=headers)).status_code == 404
    for path in ("/api/v1/jobs/0", "/api/v1/jobs/99999999999999999999", "/api/v1/jobs/x"):
        assert (await client.get(path, headers=headers)).status_code in (404, 422)


async def test_create_a_job_from_a_url_with_the_same_checks(client: httpx.AsyncClient) -> None:
    _, headers = account("ann@example.com")
    made = await client.post(
        "/api/v1/jobs",
        json={"url": "http://127.0.0.1:9/talk.mp4", "title": "Mine"},
        headers=headers,
    )
    assert made.status_code == 201, made.text
    assert made.json()["status"] == "pending" and made.json()["title"] == "Mine"
    assert made.headers["location"] == f"/api/v1/jobs/{made.json()['id']}"
    for bad in ("file:///etc/passwd", "not a url", "ftp://example.com/x"):
        refused = await client.post("/api/v1/jobs", json={"url": bad}, headers=headers)
        assert refused.status_code == 400, bad
        assert refused.json()["detail"]
    assert (await client.post("/api/v1/jobs", json={}, headers=headers)).status_code == 422
    broken = await client.post(
        "/api/v1/jobs",
        content=b"{not json",
        headers={**headers, "Content-Type": "application/json"},
    )
    assert broken.status_code == 422


async def test_settings_read_and_update_with_the_same_validation(client: httpx.AsyncClient) -> None:
    _, headers = account("ann@example.com")
    current = (await client.get("/api/v1/settings", headers=headers)).json()
    assert current["max_clips"] == 8
    changed = await client.patch("/api/v1/settings", json={"max_clips": 3}, headers=headers)
    assert changed.status_code == 200 and changed.json()["max_clips"] == 3
    for bad in ({"max_clips": -1}, {"nope": 1}, {"analyzer": "magic"}):
        refused = await client.patch("/api/v1/settings", json=bad, headers=headers)
        assert refused.status_code == 422, bad
        assert isinstance(refused.json()["detail"], str)
    assert (await client.get("/api/v1/settings", headers=headers)).json()["max_clips"] == 3


async def test_health_and_metrics_answer_without_a_login(client: httpx.AsyncClient) -> None:
    health = await client.get("/health")
    assert health.status_code in (200, 503)
    assert health.json()["database"] == "ok"
    metrics = await client.get("/metrics")
    assert metrics.status_code == 200
    assert "viralclipper_jobs" in metrics.text


async def test_over_the_rate_limit_is_429_for_that_user_only(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from viralclipper.config import get_settings

    monkeypatch.setenv("API_REQUESTS_PER_MINUTE", "3")
    get_settings.cache_clear()
    _, ann = account("ann@example.com")
    _, bob = account("bob@example.com")
    for _ in range(3):
        assert (await client.get("/api/v1/jobs", headers=ann)).status_code == 200
    refused = await client.get("/api/v1/jobs", headers=ann)
    assert refused.status_code == 429
    assert 0 < int(refused.headers["retry-after"]) <= 60
    assert "at most 3 a minute" in refused.json()["detail"]
    assert (await client.get("/api/v1/jobs", headers=bob)).status_code == 200


async def test_edit_undo_and_reject_clips_and_list_runs(client: httpx.AsyncClient) -> None:
    ann, headers = account("ann@example.com")
    _, bob = account("bob@example.com")
    job = make_completed_job(ann.id)
    best = (await _clips(client, job.id, headers))[0]
    url = f"/api/v1/clips/{best['id']}"
    edited = await client.patch(url, json={"title": "Sharper", "favourite": True}, headers=headers)
    assert edited.status_code == 200, edited.text
    assert edited.json()["title"] == "Sharper" and edited.json()["favourite"] is True
    assert edited.json()["edited"] is True
    too_short = await client.patch(url, json={"start": 10.0, "end": 10.2}, headers=headers)
    assert too_short.status_code == 409 and "at least" in too_short.json()["detail"]
    assert (await client.patch(url, json={"nope": 1}, headers=headers)).status_code == 422
    assert (await client.patch(url, json={"title": "x"}, headers=bob)).status_code == 404
    assert (await client.delete(url, headers=bob)).status_code == 404
    undone = await client.post(f"{url}/undo", headers=headers)
    assert undone.status_code == 200 and undone.json()["title"] == best["title"]
    assert (await client.delete(url, headers=headers)).status_code == 204
    remaining = await _clips(client, job.id, headers)
    assert best["id"] not in [c["id"] for c in remaining]
    runs = (await client.get(f"/api/v1/jobs/{job.id}/runs", headers=headers)).json()
    assert [(r["number"], r["current"], r["status"]) for r in runs] == [(1, True, "completed")]
    switch = f"/api/v1/jobs/{job.id}/runs/{runs[0]['id']}/current"
    assert (await client.post(switch, headers=headers)).status_code == 200
    assert (await client.post(switch, headers=bob)).status_code == 404
    assert (await client.get(f"/api/v1/jobs/{job.id}/runs", headers=bob)).status_code == 404
