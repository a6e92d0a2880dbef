"""/api/v1/youtube: the token owner's connected channels (connecting is done in the web app,
through Google's consent page), and publishing a clip to one of them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path
from pydantic import BaseModel, ConfigDict, Field

from viralclipper.api.auth import TokenUser
from viralclipper.api.clips import owned_clip
from viralclipper.api.schemas import MAX_ID, ClipId
from viralclipper.models import youtube as store
from viralclipper.models.tables import YouTubePublication
from viralclipper.queue import youtube

router = APIRouter(tags=["youtube"])


class ChannelOut(BaseModel):
    id: int
    channel_id: str
    channel_title: str | None
    needs_reconnect: bool


class NewPublication(BaseModel):
    """Left out: the clip's suggested title, description and tags."""

    model_config = ConfigDict(extra="forbid")

    account_id: int = Field(ge=1, le=MAX_ID, description="A channel from /youtube/channels.")
    title: str | None = Field(None, min_length=1, max_length=100)
    description: str | None = Field(None, max_length=5000)
    tags: list[Annotated[str, Field(max_length=100)]] | None = Field(None, max_length=50)
    privacy: Literal["private", "unlisted", "public"] = "private"
    publish_at: datetime | None = Field(None, description="Scheduled (with privacy private).")
    made_for_kids: bool = False


class PublicationOut(BaseModel):
    id: int
    clip_id: int
    channel_id: str
    channel_title: str | None
    title: str
    privacy: str
    publish_at: datetime | None
    status: str
    progress: float
    youtube_id: str | None
    url: str | None
    error: str | None
    created_at: datetime

    @classmethod
    def of(cls, publication: YouTubePublication) -> PublicationOut:
        return cls(**publication.model_dump(), url=publication.url)


@router.get("/youtube/channels", response_model=list[ChannelOut])
def channels(user: TokenUser) -> list[ChannelOut]:
    """Your connected YouTube channels (connect them in the web app: Settings → YouTube)."""
    return [
        ChannelOut(
            id=a.id,
            channel_id=a.channel_id,
            channel_title=a.channel_title,
            needs_reconnect=a.needs_reconnect,
        )
        for a in store.list_accounts(user.id)
    ]


@router.post("/clips/{clip_id}/publish", status_code=201, response_model=PublicationOut)
def publish_clip(clip_id: ClipId, new: NewPublication, user: TokenUser) -> PublicationOut:
    """Queue the clip's upload to one of your channels (400 with the reason when it cannot go:
    no rendered video, a channel to reconnect, a bad schedule, the day's quota used up)."""
    owned_clip(clip_id, user.id)
    changes = new.model_dump(exclude_unset=True, exclude={"account_id"})
    publication = youtube.publish_with(user.id, clip_id, new.account_id, **changes)
    return PublicationOut.of(publication)


@router.get("/youtube/publications/{publication_id}", response_model=PublicationOut)
def publication(
    publication_id: Annotated[int, Path(ge=1, le=MAX_ID)], user: TokenUser
) -> PublicationOut:
    """How a publication goes: queued, uploading (progress), published (its URL) or failed."""
    found = store.get_publication(publication_id, user.id)
    if found is None:
        raise HTTPException(404, "Not found.")
    return PublicationOut.of(found)
