"""The API's access rules: a missing, malformed or revoked token is a 401; another user's jobs,
clips and files are a 404, like missing ones; webhook URLs follow the job sources' address rule."""

# ruff: noqa: F401, F811 - fixtures imported by name

from __future__ import annotations

import httpx
import pytest

from tests.api.conftest import account, client
from tests.api.test_api import _clips, account_headers
from tests.security.conftest import private_urls_refused
from tests.ui.data import make_completed_job
from viralclipper.models import jobs, tokens
from viralclipper.models import webhooks as store
from viralclipper.models.jobs import JobStatus
from viralclipper.models.users import create_user
from viralclipper.queue.webhooks import register_webhook


@pytest.mark.parametrize(
    "header",
    [
        None,
        "Bearer",
        "Bearer nonsense",
        "Basic dXNlcjpwYXNz",
        "Bearer vc_" + "x" * 43,
        "Token vc_a",
    ],
)
async def test_missing_and_malformed_tokens_get_401_json(
    client: httpx.AsyncClient, header: str | None
) -> None:
    headers = {"Authorization": header} if header else {}
    response = await client.get("/api/v1/jobs", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert "token" in response.json()["detail"]


async def test_a_revoked_token_gets_401(client: httpx.AsyncClient) -> None:
    user, headers = account("ann@example.com")
    assert (await client.get("/api/v1/jobs", headers=headers)).status_code == 200
    [token] = tokens.list_tokens(user.id)
    assert token.last_used_at is not None
    assert tokens.revoke_token(token.id, user.id)
    response = await client.get("/api/v1/jobs", headers=headers)
    assert response.status_code == 401
    assert tokens.list_tokens(user.id) == []


async def test_another_users_jobs_and_clips_are_404(client: httpx.AsyncClient) -> None:
    ann, _ = account("ann@example.com")
    _, bob = account("bob@example.com")
    job = make_completed_job(ann.id)
    clip = (await _clips(client, job.id, account_headers(ann)))[0]
    for method, path in [
        ("GET", f"/api/v1/jobs/{job.id}"),
        ("GET", f"/api/v1/jobs/{job.id}/events"),
        ("GET", f"/api/v1/jobs/{job.id}/clips"),
        ("GET", f"/api/v1/jobs/{job.id}/transcript"),
        ("POST", f"/api/v1/jobs/{job.id}/cancel"),
        ("POST", f"/api/v1/jobs/{job.id}/retry"),
        ("POST", f"/api/v1/jobs/{job.id}/reanalyze"),
        ("DELETE", f"/api/v1/jobs/{job.id}"),
        ("GET", f"/api/v1/clips/{clip['id']}"),
        ("GET", f"/api/v1/clips/{clip['id']}/video"),
        ("GET", f"/api/v1/clips/{clip['id']}/thumbnail"),
        ("GET", f"/api/v1/clips/{clip['id']}/subtitles"),
    ]:
        response = await client.request(method, path, headers=bob)
        assert response.status_code == 404, (method, path, response.text)
        assert response.json()["detail"]
    assert jobs.get_job(job.id).status == JobStatus.COMPLETED
    listed = await client.get("/api/v1/jobs", headers=bob)
    assert listed.json() == {"items": [], "total": 0, "limit": 20, "offset": 0}


def test_a_private_address_is_refused_like_a_job_source(private_urls_refused: None) -> None:
    from viralclipper.models import upgrade_database
    from viralclipper.pipeline.progress import PipelineError

    upgrade_database()
    user = create_user("ann@example.com", "correct horse battery")
    for url in ("http://127.0.0.1:8080/hook", "http://[::1]/x", "http://10.0.0.1/x"):
        with pytest.raises(PipelineError, match="private or local network"):
            register_webhook(user.id, url)
    assert store.list_webhooks(user.id) == []
