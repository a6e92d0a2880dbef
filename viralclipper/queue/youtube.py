"""What the CLI and the web UI do with YouTube: connect and disconnect a channel, publish a clip;
and the `publish_clip` task's work (`run_publication`)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from viralclipper.config import get_settings
from viralclipper.models import clips as clip_store
from viralclipper.models import jobs
from viralclipper.models import youtube as store
from viralclipper.models.tables import Clip, YouTubeAccount, YouTubePublication, utcnow
from viralclipper.models.youtube import TokenUnreadable
from viralclipper.pipeline import youtube_oauth as oauth
from viralclipper.pipeline.media import probe
from viralclipper.pipeline.progress import PipelineError, Reporter
from viralclipper.pipeline.publish import (
    UploadInterrupted,
    VideoDetails,
    check_details,
    default_details,
    short_warnings,
    upload_video,
)
from viralclipper.pipeline.youtube_oauth import ConsentRevoked
from viralclipper.queue.backend import get_backend

log = logging.getLogger(__name__)
NOT_CONFIGURED = (
    "Publishing to YouTube is not set up on this instance: the admin sets YOUTUBE_CLIENT_SECRETS "
    "(or YOUTUBE_CLIENT_ID and YOUTUBE_CLIENT_SECRET)."
)

# An upload that has not moved for this long lost its worker (a chunk takes far less).
STALLED_AFTER = timedelta(minutes=10)


class PublishRefused(PipelineError):
    """A publish or connect request that cannot go ahead; the message says why."""


@dataclass(frozen=True)
class Quota:
    uploads_today: int
    uploads_left: int
    units_per_day: int


def configured() -> bool:
    try:
        return oauth.client_config(get_settings()) is not None
    except PipelineError:
        return False


def redirect_uri() -> str:
    return get_settings().youtube_redirect_uri


def _client_config() -> dict[str, Any]:
    config = oauth.client_config(get_settings())
    if config is None:
        raise PublishRefused(NOT_CONFIGURED)
    return config


def quota() -> Quota:
    units = get_settings().youtube_daily_quota
    return Quota(store.uploads_today(), store.uploads_left_today(units), units)


# Connecting ----------------------------------------------------------------------------------


def connect_url(user_id: int) -> str:
    """Start connecting a channel: the Google URL to send the user's browser to."""
    start = oauth.start_flow(_client_config(), redirect_uri())
    store.start_flow(user_id, start.state, start.code_verifier)
    return start.url


def finish_connect(user_id: int, state: str, code: str) -> YouTubeAccount:
    """The callback: PublishRefused for a wrong, replayed or foreign state; else the channel the
    user signed in to, stored with its (encrypted) token."""
    verifier = store.take_flow(user_id, state)
    if verifier is None:
        raise PublishRefused(
            "This sign-in is unknown, already used or expired: start Connect YouTube again."
        )
    credentials = oauth.finish_flow(_client_config(), redirect_uri(), state, verifier, code)
    channel = oauth.fetch_channel(
        oauth.authorized_http(credentials), get_settings().youtube_api_url
    )
    return store.save_account(
        user_id, channel.id, channel.title, channel.thumbnail, credentials.to_json()
    )


def disconnect(user_id: int, account_id: int) -> bool:
    """Revoke the channel's token at Google and forget the channel; False when Google could not
    confirm the revocation (the channel is forgotten anyway)."""
    account = _account(user_id, account_id)
    try:
        revoked = oauth.revoke(oauth.credentials_from(store.account_token(account)))
    except TokenUnreadable:
        revoked = False
    store.delete_account(account.id)
    return revoked


def _account(user_id: int, account_id: int) -> YouTubeAccount:
    account = store.get_account(account_id, user_id)
    if account is None:
        raise PublishRefused("There is no such connected channel.")
    return account


# Publishing ----------------------------------------------------------------------------------


def suggested_details(clip: Clip) -> VideoDetails:
    return default_details(clip.title, clip.hook)


def clip_warnings(clip: Clip) -> list[str]:
    """Why YouTube may not treat the clip as a Short (a clip not rendered yet has none)."""
    if not clip.video_path or not Path(clip.video_path).is_file():
        return []
    try:
        info = probe(Path(clip.video_path))
    except PipelineError:
        return []
    return short_warnings(info.width, info.height, info.duration)


def publish(
    user_id: int, clip_id: int, account_id: int, details: VideoDetails
) -> YouTubePublication:
    """Queue the upload of the user's clip to one of their channels (PublishRefused, one
    sentence, when it cannot go)."""
    clip = clip_store.get_clip(clip_id, user_id)
    if clip is None:
        raise PublishRefused(f"There is no clip {clip_id}.")
    if not clip.video_path or not Path(clip.video_path).is_file():
        raise PublishRefused("This clip has no rendered video yet: wait for its job to finish.")
    account = _account(user_id, account_id)
    if account.needs_reconnect:
        raise PublishRefused(oauth.REVOKED)
    check_details(details, utcnow())
    if store.uploads_left_today(get_settings().youtube_daily_quota) <= 0:
        raise PublishRefused(
            "Today's YouTube upload quota is used up: publish again after midnight Pacific time."
        )
    publication = store.create_publication(
        clip_id=clip.id,
        user_id=user_id,
        account_id=account.id,
        channel_id=account.channel_id,
        channel_title=account.channel_title,
        title=details.title,
        description=details.description,
        tags=details.tags,
        privacy=details.privacy,
        publish_at=details.publish_at,
        made_for_kids=details.made_for_kids,
    )
    _enqueue(publication.id)
    return publication


def publish_with(user_id: int, clip_id: int, account_id: int, **changes: Any) -> YouTubePublication:
    """`publish` with the clip's suggested details, changed by `changes` (title, description,
    tags, privacy, publish_at, made_for_kids): what the REST API does."""
    clip = clip_store.get_clip(clip_id, user_id)
    if clip is None:
        raise PublishRefused(f"There is no clip {clip_id}.")
    return publish(user_id, clip_id, account_id, replace(suggested_details(clip), **changes))


def publish_to_channel(
    clip_id: int,
    channel: str,
    privacy: str = "private",
    publish_at: datetime | None = None,
    made_for_kids: bool = False,
) -> YouTubePublication:
    """The CLI's publish: the clip's suggested details to the clip owner's channel named
    `channel` (its title or id)."""
    clip = clip_store.get_clip(clip_id)
    job = jobs.get_job(clip.job_id) if clip else None
    if clip is None or job is None:
        raise PublishRefused(f"There is no clip {clip_id}.")
    account = store.find_account(job.user_id, channel)
    if account is None:
        raise PublishRefused(
            f"The clip's owner has no connected channel named {channel!r}: connect it in "
            "Settings → YouTube."
        )
    details = replace(
        suggested_details(clip),
        privacy=privacy,
        publish_at=publish_at,
        made_for_kids=made_for_kids,
    )
    return publish(job.user_id, clip.id, account.id, details)


def can_retry(publication: YouTubePublication, now: datetime | None = None) -> bool:
    """Failed, or stalled: no progress for STALLED_AFTER (its worker stopped mid-upload)."""
    if publication.status == "failed":
        return True
    stalled = publication.updated_at < (now or utcnow()) - STALLED_AFTER
    return publication.status in ("queued", "uploading") and stalled


def retry(user_id: int, publication_id: int) -> YouTubePublication:
    """Queue a failed or stalled publication again: it resumes its upload where YouTube last
    confirmed."""
    publication = store.get_publication(publication_id, user_id)
    if publication is None or not can_retry(publication):
        raise PublishRefused("Only a failed or stalled upload can be tried again.")
    publication = store.update_publication(publication_id, status="queued", error=None)
    _enqueue(publication_id)
    return publication


QUEUE_DOWN = "The queue could not be reached, so this upload did not start: publish it again."


def _enqueue(publication_id: int) -> None:
    """Hand the publication to the queue; when the queue is down it is marked failed (the user
    can try it again) and the queue's error goes on."""
    from viralclipper.queue.app import get_queue

    try:
        get_queue().publish_clip(publication_id)
    except get_backend().queue_errors:
        _failed(publication_id, QUEUE_DOWN, keep_session=True)
        raise


# The task ------------------------------------------------------------------------------------


def run_publication(publication_id: int, sleep: Callable[[float], None] = time.sleep) -> None:
    """The `publish_clip` task: upload one publication's clip, recording progress, the resumable
    session (kept for a retry after a failure or a worker restart) and the outcome."""
    publication = store.get_publication(publication_id)
    if publication is None or not store.claim_publication(publication_id):
        return  # gone, published, failed, or another task of it has it
    try:
        video_id = _upload(publication, sleep)
    except ConsentRevoked as exc:
        if publication.account_id is not None:
            store.mark_needs_reconnect(publication.account_id)
        _failed(publication_id, str(exc), keep_session=False)
    except UploadInterrupted as exc:
        _failed(publication_id, str(exc), keep_session=True)
    except (PipelineError, TokenUnreadable) as exc:
        _failed(publication_id, str(exc), keep_session=False)
    except Exception:
        log.exception("publication %s failed", publication_id)
        _failed(
            publication_id,
            "The upload failed unexpectedly (see the server log): try again.",
            keep_session=True,
        )
    else:
        store.update_publication(
            publication_id,
            status="published",
            progress=100.0,
            youtube_id=video_id,
            upload_session=None,
            published_at=utcnow(),
        )


def requeue_stalled_uploads() -> list[int]:
    """Queue again the uploads whose worker stopped (no progress for STALLED_AFTER): they resume
    where YouTube last confirmed. Crash recovery runs it at every worker start and periodically.
    Returns the re-queued publication ids."""
    before = utcnow() - STALLED_AFTER
    requeued = [p for p in store.stalled_uploads(before) if store.requeue_stalled(p, before)]
    for publication_id in requeued:
        _enqueue(publication_id)
    return requeued


def _failed(publication_id: int, message: str, keep_session: bool) -> None:
    fields: dict[str, Any] = {"status": "failed", "error": message}
    if not keep_session:
        fields["upload_session"] = None
    store.update_publication(publication_id, **fields)


def _upload(publication: YouTubePublication, sleep: Callable[[float], None]) -> str:
    clip = clip_store.get_clip(publication.clip_id)
    account = store.get_account(publication.account_id) if publication.account_id else None
    if clip is None or not clip.video_path:
        raise PipelineError("The clip's video is gone: it cannot be published.")
    if account is None:
        raise PipelineError("The channel was disconnected: connect it again, then publish.")
    credentials = oauth.credentials_from(store.account_token(account))
    if oauth.fresh(credentials):
        store.store_token(account.id, credentials.to_json())
    token = credentials.token
    try:
        return _send(publication, Path(clip.video_path), credentials, sleep)
    finally:
        if credentials.token != token:  # refreshed during the upload (a 401 on the way)
            store.store_token(account.id, credentials.to_json())


def _send(
    publication: YouTubePublication,
    video: Path,
    credentials: Any,
    sleep: Callable[[float], None],
) -> str:
    return upload_video(
        oauth.authorized_http(credentials),
        get_settings().youtube_api_url,
        video,
        _details(publication),
        _progress_writer(publication.id),
        session_uri=publication.upload_session,
        on_session=lambda uri: _keep_session(publication.id, uri),
        sleep=sleep,
    )


def _keep_session(publication_id: int, uri: str) -> None:
    store.update_publication(publication_id, upload_session=uri)


def _details(publication: YouTubePublication) -> VideoDetails:
    return VideoDetails(
        title=publication.title,
        description=publication.description,
        tags=list(publication.tags),
        privacy=publication.privacy,
        publish_at=publication.publish_at,
        made_for_kids=publication.made_for_kids,
    )


def _progress_writer(publication_id: int) -> Reporter:
    def write(fraction: float, message: str) -> None:
        store.update_publication(publication_id, progress=round(fraction * 100, 1))

    return Reporter(write)


def scheduled(publication: YouTubePublication, now: datetime | None = None) -> bool:
    """Published, and waiting for its scheduled time to go public."""
    return (
        publication.status == "published"
        and publication.publish_at is not None
        and publication.publish_at > (now or utcnow())
    )
