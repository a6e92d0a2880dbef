"""The download stage through the real yt-dlp, against a small HTTP server on 127.0.0.1.

YouTube itself is out of reach here: its error texts are checked on the strings yt-dlp's YouTube
extractor produces, and the id parsing on the URL forms people paste.
"""

from __future__ import annotations

import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.http_server import VideoServer, serve_directory
from viralclipper.config import get_settings
from viralclipper.pipeline.download import (
    DownloadError,
    download,
    explain_ytdlp_error,
    youtube_video_id,
    ytdlp_failure,
)
from viralclipper.pipeline.media import probe
from viralclipper.pipeline.progress import Cancelled, FailureKind, Reporter
from viralclipper.pipeline.sample import SampleTalk

LIVE_PLAYLIST = "#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:4.0,\nseg0.ts\n"
LONG_PLAYLIST = (
    "#EXTM3U\n#EXT-X-TARGETDURATION:600\n#EXT-X-PLAYLIST-TYPE:VOD\n"
    "#EXTINF:600.0,\nseg0.ts\n#EXTINF:600.0,\nseg1.ts\n#EXT-X-ENDLIST\n"
)


@pytest.fixture(scope="module")
def site(
    sample_talk: SampleTalk, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[VideoServer]:
    root = tmp_path_factory.mktemp("site")
    shutil.copy(sample_talk.path, root / "talk.mp4")
    (root / "page.html").write_text(
        "<html><head><title>About us</title></head><body><p>Just text, no video.</p></body></html>"
    )
    (root / "live.m3u8").write_text(LIVE_PLAYLIST)
    (root / "long.m3u8").write_text(LONG_PLAYLIST)
    with serve_directory(root) as server:
        yield server


@pytest.fixture
def downloads(tmp_path: Path) -> Path:
    return tmp_path / "downloads"


def set_env(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    get_settings.cache_clear()


def cached_entries(downloads: Path) -> list[Path]:
    return sorted(downloads.glob("*/info.json")) if downloads.exists() else []


def download_error(source: str, downloads: Path, **kwargs: bool) -> str:
    return str(download_failure(source, downloads, **kwargs))


def download_failure(source: str, downloads: Path, **kwargs: bool) -> DownloadError:
    with pytest.raises(DownloadError) as caught:
        download(source, downloads, **kwargs)
    return caught.value


def test_downloads_a_video_through_the_generic_extractor(
    site: VideoServer, downloads: Path, sample_talk: SampleTalk
):
    fractions: list[float] = []
    result = download(
        site.url("talk.mp4"),
        downloads,
        Reporter(lambda fraction, _message: fractions.append(fraction)),
    )

    assert result.path.is_file()
    assert result.path.parent.parent == downloads
    assert probe(result.path).duration == pytest.approx(sample_talk.duration, abs=0.2)
    assert result.duration == pytest.approx(sample_talk.duration, abs=0.2)
    assert (result.video_id, result.title, result.extractor) == ("talk", "talk", "generic")
    assert result.source == site.url("talk.mp4")
    assert fractions == sorted(fractions)
    assert fractions[-1] == 1.0
    assert any(0.0 < f < 1.0 for f in fractions), "no progress reported during the transfer"
    assert not list(downloads.glob(".partial-*"))


def test_second_download_of_the_same_url_makes_no_request(site: VideoServer, downloads: Path):
    first = download(site.url("talk.mp4"), downloads)
    requests_before = len(site.requests)
    fractions: list[float] = []

    second = download(
        site.url("talk.mp4"),
        downloads,
        Reporter(lambda fraction, _message: fractions.append(fraction)),
    )

    assert len(site.requests) == requests_before
    assert second == first
    assert fractions == [1.0]


def test_cancel_during_download_leaves_nothing_cached(site: VideoServer, downloads: Path):
    state = {"transferring": False}

    def progress(_fraction: float, message: str) -> None:
        state["transferring"] = state["transferring"] or message.startswith("downloading")

    with pytest.raises(Cancelled):
        download(site.url("talk.mp4"), downloads, Reporter(progress, lambda: state["transferring"]))

    assert cached_entries(downloads) == []
    assert not list(downloads.glob(".partial-*"))
    requests_before = len(site.requests)
    result = download(site.url("talk.mp4"), downloads)  # the partial one is not taken for cached
    assert len(site.requests) > requests_before
    assert result.path.is_file()


def test_http_404_names_the_problem(site: VideoServer, downloads: Path):
    failure = download_failure(site.url("missing.mp4"), downloads)
    assert "HTTP 404" in str(failure)
    assert failure.kind is FailureKind.SOURCE_GONE  # retrying cannot help
    assert cached_entries(downloads) == []


def test_connection_refused_is_a_network_error(downloads: Path):
    with socket.socket() as probe_socket:
        probe_socket.bind(("127.0.0.1", 0))
        unused_port = probe_socket.getsockname()[1]
    failure = download_failure(f"http://127.0.0.1:{unused_port}/talk.mp4", downloads)
    assert str(failure) == "Could not reach 127.0.0.1: the connection was refused."
    assert failure.kind is FailureKind.ERROR  # the server may be back on a retry


@pytest.mark.parametrize(
    ("source", "kind"),
    [
        ("page.html", FailureKind.UNSUPPORTED),
        ("live.m3u8", FailureKind.ERROR),  # it may have ended by the retry
        ("not a url", FailureKind.UNSUPPORTED),
    ],
)
def test_failures_say_whether_a_retry_can_help(
    site: VideoServer, downloads: Path, source: str, kind: FailureKind
):
    url = site.url(source) if "." in source else source
    assert download_failure(url, downloads).kind is kind


@pytest.mark.parametrize(
    ("reason", "kind"),
    [
        ("Private video. Sign in if you've been granted access", FailureKind.PRIVATE),
        ("Video unavailable. This video has been removed by the uploader", FailureKind.SOURCE_GONE),
        ("Unable to download webpage: HTTP Error 410: Gone", FailureKind.SOURCE_GONE),
        ("Unable to download webpage: HTTP Error 503: Unavailable", FailureKind.ERROR),
        ("Sign in to confirm you're not a bot", FailureKind.ERROR),
    ],
)
def test_youtube_errors_say_whether_a_retry_can_help(reason: str, kind: FailureKind):
    assert ytdlp_failure(YT + reason, VIDEO).kind is kind


def test_a_page_without_video_is_unsupported(site: VideoServer, downloads: Path):
    message = download_error(site.url("page.html"), downloads)
    assert message.startswith("No video found at this URL")


@pytest.mark.parametrize("source", ["not a url", "www", "ftp://example.com/video.mp4"])
def test_text_that_is_not_a_url_is_refused(source: str, downloads: Path):
    assert "is not a video URL" in download_error(source, downloads)


def test_file_urls_are_refused_for_web_input(sample_talk: SampleTalk, downloads: Path):
    message = download_error(sample_talk.path.resolve().as_uri(), downloads)
    assert message.startswith("file:// URLs are not accepted")


def test_a_live_stream_is_refused(site: VideoServer, downloads: Path):
    message = download_error(site.url("live.m3u8"), downloads)
    assert "live stream" in message
    assert "/seg0.ts" not in site.paths()


def test_too_long_is_refused_before_downloading(
    site: VideoServer, downloads: Path, monkeypatch: pytest.MonkeyPatch
):
    set_env(monkeypatch, "MAX_VIDEO_MINUTES", "10")
    failure = download_failure(site.url("long.m3u8"), downloads)
    assert failure.kind is FailureKind.TOO_LONG
    message = str(failure)
    assert message == (
        "This video is 20 min long, longer than the limit of 10 min (MAX_VIDEO_MINUTES=10)."
    )
    assert not {"/seg0.ts", "/seg1.ts"} & set(site.paths())


def test_too_long_is_refused_when_the_length_is_only_known_after_download(
    site: VideoServer, downloads: Path, monkeypatch: pytest.MonkeyPatch
):
    set_env(monkeypatch, "MAX_VIDEO_MINUTES", "0.5")
    message = download_error(site.url("talk.mp4"), downloads)
    assert message.startswith("This video is 1 min")
    assert message.endswith("longer than the limit of 30 s (MAX_VIDEO_MINUTES=0.5).")
    assert cached_entries(downloads) == []


def test_cookies_file_is_sent(
    site: VideoServer, downloads: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    cookies = tmp_path / "cookies.txt"
    cookies.write_text(
        "# Netscape HTTP Cookie File\n127.0.0.1\tFALSE\t/\tFALSE\t0\tsession\tsecret-cookie\n"
    )
    set_env(monkeypatch, "YTDLP_COOKIES_FILE", str(cookies))
    set_env(monkeypatch, "MAX_VIDEO_MINUTES", "1")  # stop after the look-up: no need to download
    download_error(site.url("long.m3u8"), downloads)
    assert ("/long.m3u8", "session=secret-cookie") in site.requests


def test_local_file_is_accepted_when_allowed(sample_talk: SampleTalk, downloads: Path):
    result = download(str(sample_talk.path), downloads, allow_local_files=True)
    assert result.path == sample_talk.path.resolve()
    assert result.extractor == "local"
    assert result.duration == pytest.approx(sample_talk.duration, abs=0.2)
    assert result.title == sample_talk.path.stem
    assert len(result.video_id) == 16
    again = download(str(sample_talk.path), downloads, allow_local_files=True)
    assert again.video_id == result.video_id
    assert not downloads.exists()  # used in place, nothing copied


def test_local_file_is_refused_when_not_allowed(sample_talk: SampleTalk, downloads: Path):
    message = download_error(str(sample_talk.path.resolve()), downloads)
    assert message.startswith("Local file paths are not accepted here")


def test_missing_local_file_is_reported(tmp_path: Path, downloads: Path):
    message = download_error(str(tmp_path / "nope.mp4"), downloads, allow_local_files=True)
    assert message.endswith("is neither a video URL nor an existing video file.")


def test_a_local_file_that_is_not_a_video(tmp_path: Path, downloads: Path):
    notes = tmp_path / "notes.mp4"
    notes.write_text("not a video")
    message = download_error(str(notes), downloads, allow_local_files=True)
    assert message == "notes.mp4 is not a readable video or audio file"


@pytest.mark.parametrize(
    "url",
    [
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=42s&list=PL123",
        "https://www.youtube.com/watch?feature=share&v=dQw4w9WgXcQ",
        "http://youtube.com/watch?v=dQw4w9WgXcQ",
        "https://m.youtube.com/watch?v=dQw4w9WgXcQ",
        "https://music.youtube.com/watch?v=dQw4w9WgXcQ&si=abc",
        "https://youtu.be/dQw4w9WgXcQ",
        "https://youtu.be/dQw4w9WgXcQ?si=xyz&t=10",
        "https://www.youtube.com/shorts/dQw4w9WgXcQ",
        "https://youtube.com/shorts/dQw4w9WgXcQ?feature=share",
        "https://www.youtube.com/live/dQw4w9WgXcQ?si=abc",
        "https://www.youtube.com/embed/dQw4w9WgXcQ",
        "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ",
        "youtube.com/watch?v=dQw4w9WgXcQ",
        "  youtu.be/dQw4w9WgXcQ  ",
    ],
)
def test_youtube_video_id(url: str):
    assert youtube_video_id(url) == "dQw4w9WgXcQ"


@pytest.mark.parametrize(
    "url",
    [
        "https://www.youtube.com/",
        "https://www.youtube.com/watch?v=short",
        "https://www.youtube.com/playlist?list=PL590L5WQmH8fJ54F369BLDSqIwcs-TCfs",
        "https://www.youtube.com/@channel",
        "https://vimeo.com/76979871",
        "https://notyoutube.com/watch?v=dQw4w9WgXcQ",
        "not a url",
    ],
)
def test_youtube_video_id_rejects_other_urls(url: str):
    assert youtube_video_id(url) is None


def test_a_scheme_less_youtube_link_is_accepted(downloads: Path, sample_talk: SampleTalk):
    # No network here: the cached entry answers, which shows the link was understood as YouTube's.
    entry = downloads / "youtube-dQw4w9WgXcQ"
    entry.mkdir(parents=True)
    shutil.copy(sample_talk.path, entry / "video.mp4")
    (entry / "info.json").write_text(
        '{"video_id": "dQw4w9WgXcQ", "title": "Cached", "duration": 12.5, "uploader": "Someone",'
        ' "thumbnail_url": "https://i.ytimg.com/vi/dQw4w9WgXcQ/hqdefault.jpg",'
        ' "extractor": "youtube", "webpage_url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ"}'
    )
    result = download("youtu.be/dQw4w9WgXcQ", downloads)
    assert (result.video_id, result.title, result.uploader) == ("dQw4w9WgXcQ", "Cached", "Someone")
    assert result.source == "youtu.be/dQw4w9WgXcQ"


# The texts below are what yt-dlp raises for YouTube: "ERROR: [youtube] <id>: " + YouTube's
# reason, and for reasons that mention signing in, yt-dlp's cookie hint (extractor/youtube/
# _video.py, _base.py `_youtube_login_hint`, common.py `_login_hint`).
YT = "ERROR: [youtube] lwUI5-fWv4U: "
LOGIN_HINT = (
    "Use --cookies-from-browser or --cookies for the authentication. See  "
    "https://github.com/yt-dlp/yt-dlp/wiki/FAQ#how-do-i-pass-cookies-to-yt-dlp  for how to "
    "manually pass cookies. Also see  "
    "https://github.com/yt-dlp/yt-dlp/wiki/Extractors#exporting-youtube-cookies  for tips on "
    "effectively exporting YouTube cookies"
)
VIDEO = "https://www.youtube.com/watch?v=lwUI5-fWv4U"
PRIVATE = "This video is private; only accounts the owner invited can watch it."
REMOVED = "This video has been removed or is no longer available."
COOKIES = "set YTDLP_COOKIES_FILE to a cookies file of an account that may watch it."


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        (
            f"Private video. Sign in if you've been granted access to this video. {LOGIN_HINT}",
            PRIVATE,
        ),
        ("Video unavailable. This video is private", PRIVATE),
        (
            "Sign in to confirm your age. This video may be inappropriate for some users. "
            f"{LOGIN_HINT}",
            f"This video is age-restricted; to download it, {COOKIES}",
        ),
        (
            f"Sign in to confirm you\u2019re not a bot. {LOGIN_HINT}",
            f"YouTube asks this server to sign in to prove it is not a bot; {COOKIES}",
        ),
        (
            "Join this channel to get access to members-only content like this video, and other "
            "exclusive perks.",
            f"This video is for channel members only; to download it, {COOKIES}",
        ),
        ("Video unavailable. This video has been removed by the uploader", REMOVED),
        (
            "Video unavailable. This video is no longer available because the YouTube account "
            "associated with this video has been terminated.",
            REMOVED,
        ),
        ("This video has been removed for violating YouTube's policy on hate speech.", REMOVED),
        ("Video unavailable", REMOVED),
        (
            "This live event will begin in 3 hours.",
            "This live stream or premiere has not started yet.",
        ),
        (
            "The uploader has not made this video available in your country\n"
            "This video is available in Germany.",
            "This video is not available in the country this server is in.",
        ),
        (
            "Requested format is not available. Use --list-formats for a list of available formats",
            "This video offers no format that can be downloaded.",
        ),
        (
            "Unable to download API page: HTTP Error 429: Too Many Requests "
            "(caused by <HTTPError 429: Too Many Requests>)",
            "The site is rate-limiting this server (HTTP 429); try again later.",
        ),
        (
            "Unable to download webpage: <urlopen error [Errno -3] Temporary failure in name "
            "resolution> (caused by TransportError(...))",
            "Could not reach www.youtube.com: the host name could not be resolved.",
        ),
        (
            "Unable to download webpage: The read operation timed out "
            "(caused by TransportError('The read operation timed out'))",
            "Could not reach www.youtube.com: the connection timed out.",
        ),
        (
            "Something new went wrong (caused by KeyError('x')); please report this issue on  "
            "https://github.com/yt-dlp/yt-dlp/issues?q= ",
            "Could not download the video: Something new went wrong.",
        ),
    ],
)
def test_explains_youtube_errors(reason: str, expected: str):
    assert explain_ytdlp_error(YT + reason, VIDEO) == expected
