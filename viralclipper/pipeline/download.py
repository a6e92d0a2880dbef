"""Download stage: a video URL (through yt-dlp) or a local file -> an MP4 on disk plus metadata.

Downloads are cached by video id: `media_dir/<extractor>-<id>/` holds `video.mp4` and `info.json`.
A download runs in a private `.partial-*` directory that is renamed into place only once the file
and its metadata are complete, so an interrupted download is never mistaken for a cached one.
`media_dir/sources/` remembers which entry each URL led to, so a second call on the same URL
makes no network request at all.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import re
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from urllib.request import url2pathname

import yt_dlp
from yt_dlp.utils import YoutubeDLError

from viralclipper.config import get_settings
from viralclipper.pipeline.files import write_text_atomic
from viralclipper.pipeline.media import FORMAT_WHITELIST, check_media_file, ffmpeg_binary, probe
from viralclipper.pipeline.netguard import AddressNotAllowed, GuardedUrllibRH, NetGuard
from viralclipper.pipeline.progress import Cancelled, FailureKind, PipelineError, Reporter

log = logging.getLogger(__name__)

VIDEO_FILE = "video.mp4"
INFO_FILE = "info.json"
PARTIAL_PREFIX = ".partial-"
STALE_PARTIAL_SECONDS = 24 * 3600
# Share of the stage's progress spent before and after the transfer itself.
TRANSFER_START, TRANSFER_END = 0.02, 0.95


class DownloadError(PipelineError):
    """The video could not be fetched; the message says why in one sentence."""


@dataclass(frozen=True)
class DownloadResult:
    path: Path
    video_id: str
    title: str
    duration: float
    uploader: str | None
    thumbnail_url: str | None
    source: str
    extractor: str


def download(
    source: str,
    media_dir: Path,
    reporter: Reporter | None = None,
    *,
    allow_local_files: bool = False,
    guard: NetGuard | None = None,
) -> DownloadResult:
    """Fetch `source` (a URL, or a local file when `allow_local_files`) into `media_dir`.

    With a `guard`, every connection (redirects and fragments included) must go to an address
    it allows. Raises DownloadError with a user-facing sentence, or Cancelled when the reporter
    says so.
    """
    reporter = reporter or Reporter()
    source = source.strip()
    if allow_local_files and (local := _local_file(source)):
        return _local_result(local, source, reporter)
    url = _web_url(source, allow_local_files)
    if guard is not None:
        _check_address(url, guard)
    media_dir.mkdir(parents=True, exist_ok=True)
    cached = _cached_by_url(url, media_dir)
    if cached:
        reporter(1.0, "already downloaded")
        return replace(cached, source=source)
    reporter(0.0, "looking up the video")
    _remove_stale_partials(media_dir)
    workdir = media_dir / f"{PARTIAL_PREFIX}{uuid.uuid4().hex}"
    workdir.mkdir()
    try:
        return _fetch(url, source, media_dir, workdir, reporter, guard)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _fetch(
    url: str,
    source: str,
    media_dir: Path,
    workdir: Path,
    reporter: Reporter,
    guard: NetGuard | None,
) -> DownloadResult:
    blocked: list[str] = []  # hosts the guard refused, a skipped fragment's included
    with (
        _ytdlp_errors(url, guarded=guard is not None, blocked=blocked),
        _youtube_dl(_ytdlp_options(workdir), guard, blocked) as ydl,
    ):
        info = ydl.extract_info(url, download=False)
        _check_downloadable(info)
        if guard is not None:
            _check_protocols(info)
        key = _cache_key(info)
        cached = _load_entry(media_dir / key)  # the same video reached through another URL
        if cached is None:
            parts = len(info.get("requested_formats") or ()) or 1
            ydl.add_progress_hook(
                _ProgressHook(reporter.scaled(TRANSFER_START, TRANSFER_END), parts)
            )
            ydl.add_postprocessor_hook(lambda _status: reporter(TRANSFER_END, "finishing the file"))
            ydl.process_ie_result(info, download=True)
        _refuse_blocked(blocked)
    if cached is None:
        cached = _commit(workdir, media_dir / key, _metadata(info, workdir / VIDEO_FILE, url))
    _remember_source(url, key, media_dir)
    reporter(1.0, "downloaded")
    return replace(cached, source=source)


# --- what a source is -------------------------------------------------------------------------

_YOUTUBE_HOSTS = {"youtube.com", "youtu.be", "youtube-nocookie.com"}
_YOUTUBE_ID = re.compile(r"[A-Za-z0-9_-]{11}")
_YOUTUBE_PATH_ID = re.compile(r"/(?:shorts|live|embed|v|e)/([A-Za-z0-9_-]{11})(?:[/?#]|$)")


def youtube_video_id(url: str) -> str | None:
    """The 11-character id of a YouTube video URL (any common form), else None."""
    url = url.strip()
    parts = urlsplit(url if "://" in url else f"https://{url}")
    host = (parts.hostname or "").removeprefix("www.").removeprefix("m.").removeprefix("music.")
    if host not in _YOUTUBE_HOSTS:
        return None
    if host == "youtu.be":
        candidate = parts.path.strip("/").split("/")[0]
    elif parts.path.rstrip("/") == "/watch":
        candidate = (parse_qs(parts.query).get("v") or [""])[0]
    else:
        match = _YOUTUBE_PATH_ID.match(parts.path)
        candidate = match.group(1) if match else ""
    return candidate if _YOUTUBE_ID.fullmatch(candidate) else None


def _web_url(source: str, allow_local_files: bool) -> str:
    """`source` as an http(s) URL, or a DownloadError saying why it is not one."""
    parts = urlsplit(source)
    if (
        parts.scheme.lower() in {"http", "https"}
        and parts.hostname
        and not re.search(r"\s", source)
    ):
        return source
    if parts.scheme.lower() == "file":
        raise DownloadError(
            "file:// URLs are not accepted; give an http or https link to a video.",
            kind=FailureKind.UNSUPPORTED,
        )
    if "://" not in source and youtube_video_id(source):
        return f"https://{source}"
    shown = source if len(source) <= 80 else f"{source[:77]}..."
    if allow_local_files:
        raise DownloadError(
            f"'{shown}' is neither a video URL nor an existing video file.",
            kind=FailureKind.UNSUPPORTED,
        )
    if source.startswith(("/", "~", "./", "../")) or re.match(r"[A-Za-z]:\\", source):
        raise DownloadError(
            "Local file paths are not accepted here; give an http or https link to a video.",
            kind=FailureKind.UNSUPPORTED,
        )
    raise DownloadError(
        f"'{shown}' is not a video URL; give an http or https link, for example "
        "https://www.youtube.com/watch?v=...",
        kind=FailureKind.UNSUPPORTED,
    )


def _local_file(source: str) -> Path | None:
    text = url2pathname(urlsplit(source).path) if source.startswith("file://") else source
    path = Path(text).expanduser()
    try:
        return path.resolve() if path.is_file() else None
    except OSError:  # a URL too long to be a file name, for example
        return None


def _local_result(path: Path, source: str, reporter: Reporter) -> DownloadResult:
    reporter(0.0, "reading the local file")
    try:
        info = check_media_file(path)
    except PipelineError as exc:
        raise DownloadError(str(exc), kind=exc.kind) from exc
    _check_length(info.duration)
    stat = path.stat()
    fingerprint = f"{path}|{stat.st_size}|{stat.st_mtime_ns}".encode()
    reporter(1.0, "local file")
    return DownloadResult(
        path=path,
        video_id=hashlib.sha256(fingerprint).hexdigest()[:16],
        title=path.stem,
        duration=info.duration,
        uploader=None,
        thumbnail_url=None,
        source=source,
        extractor="local",
    )


# --- checks before downloading ------------------------------------------------------------------


def _check_downloadable(info: dict[str, Any]) -> None:
    if info.get("_type") in {"playlist", "multi_video"}:
        raise DownloadError(
            "This link is a playlist or channel; give the link of a single video.",
            kind=FailureKind.UNSUPPORTED,
        )
    live_status = info.get("live_status")
    if info.get("is_live") or live_status == "is_live":
        raise DownloadError("This is a live stream; wait until it has ended and try again.")
    if live_status == "is_upcoming":
        raise DownloadError("This live stream or premiere has not started yet.")
    if info.get("duration"):
        _check_length(float(info["duration"]))
    formats = info.get("requested_formats") or [info]
    sizes = [f.get("filesize") or f.get("filesize_approx") or 0 for f in formats]
    _check_size(sum(sizes))


def _check_size(size: float, *, downloading: bool = False) -> None:
    """DownloadError once `size` bytes are past `MAX_DOWNLOAD_MB`."""
    limit = get_settings().max_download_mb
    if size <= limit * 1024 * 1024:
        return
    if downloading:
        raise DownloadError(
            f"The download grew past the limit of {limit} MB (MAX_DOWNLOAD_MB), so it was "
            "stopped and the partial file removed.",
            kind=FailureKind.TOO_LONG,
        )
    raise DownloadError(
        f"This video is larger than the download limit of {limit} MB (MAX_DOWNLOAD_MB).",
        kind=FailureKind.TOO_LONG,
    )


# What yt-dlp fetches itself, through the guarded handler: plain HTTP(S), HLS and DASH.
_CHECKED_PROTOCOLS = {
    "http",
    "https",
    "m3u8",
    "m3u8_native",
    "http_dash_segments",
    "http_dash_segments_generator",
}


def _check_protocols(info: dict[str, Any]) -> None:
    for fmt in info.get("requested_formats") or [info]:
        if fmt.get("protocol") not in _CHECKED_PROTOCOLS:
            raise DownloadError(
                "This video is only offered over a protocol that cannot be downloaded safely "
                f"here ({fmt.get('protocol')})."
            )


def _check_address(url: str, guard: NetGuard) -> None:
    try:
        guard.check_url(url)
    except AddressNotAllowed as exc:
        raise DownloadError(not_allowed_message(exc.host), kind=FailureKind.PRIVATE) from None


def not_allowed_message(host: str) -> str:
    return (
        f"The address of {host} is not allowed: videos are downloaded only from public "
        "internet sites, never from this server or a private network."
    )


def _refuse_blocked(blocked: list[str]) -> None:
    if blocked:
        raise DownloadError(not_allowed_message(blocked[0]), kind=FailureKind.PRIVATE)


def _check_length(duration: float) -> None:
    minutes = get_settings().max_video_minutes
    if duration > minutes * 60:
        raise DownloadError(
            f"This video is {_length(duration)} long, longer than the limit of "
            f"{_length(minutes * 60)} (MAX_VIDEO_MINUTES={minutes:g}).",
            kind=FailureKind.TOO_LONG,
        )


def _length(seconds: float) -> str:
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    return f"{secs} s"


# --- yt-dlp -------------------------------------------------------------------------------------


def _ytdlp_options(workdir: Path) -> dict[str, Any]:
    settings = get_settings()
    height = settings.max_video_height
    options: dict[str, Any] = {
        # Best MP4 (H.264 + AAC) up to the height limit; anything else is remuxed to MP4 below.
        "format": (
            f"bv*[height<=?{height}][ext=mp4]+ba[ext=m4a]/b[height<=?{height}][ext=mp4]"
            f"/bv*[height<=?{height}]+ba/b[height<=?{height}]/b"
        ),
        "merge_output_format": "mp4",
        "postprocessors": [{"key": "FFmpegVideoRemuxer", "preferedformat": "mp4"}],
        "outtmpl": {"default": str(workdir / "video.%(ext)s")},
        "ffmpeg_location": ffmpeg_binary(),
        "js_runtimes": {"node": {}},  # YouTube needs a JS runtime; yt-dlp enables only deno
        "noplaylist": True,
        "extract_flat": "in_playlist",  # a playlist is refused: do not extract all its videos
        "cachedir": str(settings.cache_dir / "yt-dlp"),
        "socket_timeout": 30,
        "retries": 3,
        "fragment_retries": 3,
        # yt-dlp fetches HLS and DASH itself (through the guarded handler), never through ffmpeg;
        # an ffmpeg it falls back to anyway may read local files only, and yt-dlp's own ffmpeg
        # runs on downloaded parts read only the plain containers.
        "external_downloader": {"default": "native"},
        "external_downloader_args": {"ffmpeg_i": ["-protocol_whitelist", "file"]},
        "postprocessor_args": {f"{pp}+ffmpeg_i": _SAFE_FFMPEG_INPUT for pp in _FFMPEG_PPS},
        "quiet": True,
        "no_warnings": True,
        "noprogress": True,
        "logger": _YtDlpLogger(),
    }
    if settings.ytdlp_cookies_file:
        options["cookiefile"] = str(settings.ytdlp_cookies_file)
    return options


_SAFE_FFMPEG_INPUT = ["-format_whitelist", FORMAT_WHITELIST, "-protocol_whitelist", "file"]
_FFMPEG_PPS = (
    "merger",
    "videoremuxer",
    "fixupm3u8",
    "fixupm4a",
    "fixupstretched",
    "fixuptimestamp",
    "fixupduration",
    "fixupduplicatemoov",
)


class _GuardedYoutubeDL(yt_dlp.YoutubeDL):
    """A YoutubeDL whose only request handler connects through a NetGuard."""

    def __init__(self, params: dict[str, Any], guard: NetGuard, blocked: list[str]) -> None:
        self._guarded_handler = functools.partial(GuardedUrllibRH, guard=guard, blocked=blocked)
        super().__init__(params)

    @functools.cached_property
    def _request_director(self) -> Any:
        return self.build_request_director([self._guarded_handler])


def _youtube_dl(
    options: dict[str, Any], guard: NetGuard | None, blocked: list[str]
) -> yt_dlp.YoutubeDL:
    return (
        yt_dlp.YoutubeDL(options) if guard is None else _GuardedYoutubeDL(options, guard, blocked)
    )


class _YtDlpLogger:
    """Sends yt-dlp's output to logging instead of the terminal; errors become exceptions anyway."""

    def debug(self, message: str) -> None:
        log.debug("yt-dlp: %s", message)

    info = debug

    def warning(self, message: str) -> None:
        log.info("yt-dlp: %s", message)

    def error(self, message: str) -> None:
        log.info("yt-dlp: %s", message)


class _ProgressHook:
    """yt-dlp progress -> reporter; video and audio may arrive as separate parts, one after another.

    Raising in here is how yt-dlp is stopped: the reporter raises Cancelled.
    """

    def __init__(self, reporter: Reporter, parts: int) -> None:
        self.reporter = reporter
        self.parts = parts
        self.finished = 0
        self.finished_bytes = 0  # of the parts already complete

    def __call__(self, status: dict[str, Any]) -> None:
        if status.get("status") == "finished":
            self.finished = min(self.parts, self.finished + 1)
            self.finished_bytes += status.get("downloaded_bytes") or status.get("total_bytes") or 0
            if status.get("filename"):  # checked before yt-dlp's ffmpeg merges or remuxes it
                _check_part(Path(status["filename"]))
            self.reporter(self.finished / self.parts, "downloaded")
        elif status.get("status") == "downloading":
            done_bytes = status.get("downloaded_bytes") or 0
            size = self.finished_bytes + max(done_bytes, status.get("total_bytes") or 0)
            _check_size(size, downloading=True)
            done = self.finished + min(1.0, _part_fraction(status))
            megabytes = (status.get("downloaded_bytes") or 0) / 1e6
            self.reporter(done / self.parts, f"downloading ({megabytes:.1f} MB)")
        else:
            self.reporter.check()


def _check_part(path: Path) -> None:
    try:
        check_media_file(path)
    except PipelineError as exc:
        raise DownloadError(
            "The downloaded file is not a plain video file (a playlist, or a file that refers to "
            "other files), so it was refused.",
            kind=FailureKind.UNSUPPORTED,
        ) from exc


def _part_fraction(status: dict[str, Any]) -> float:
    total = status.get("total_bytes") or status.get("total_bytes_estimate")
    if total:
        return (status.get("downloaded_bytes") or 0) / total
    if status.get("fragment_count"):
        return (status.get("fragment_index") or 0) / status["fragment_count"]
    return 0.0


@contextmanager
def _ytdlp_errors(
    url: str, *, guarded: bool = False, blocked: list[str] | None = None
) -> Iterator[None]:
    """Turn yt-dlp's errors into DownloadError with a clear sentence; let Cancelled and our own
    errors raised in hooks through. `guarded`: network failures all read the same, so that a
    user's URL cannot tell an open port from a closed one."""
    try:
        yield
    except YoutubeDLError as exc:
        cause = getattr(exc, "exc_info", None)
        if cause and isinstance(cause[1], Cancelled | PipelineError):
            raise cause[1] from None
        _refuse_blocked(blocked or [])
        failure = ytdlp_failure(str(exc), url)
        if guarded and _is_network_failure(str(exc)):
            failure = DownloadError(
                f"Could not download from {urlsplit(url).hostname or url}: it did not answer."
            )
        raise failure from exc


def _is_network_failure(message: str) -> bool:
    text = message.lower()
    return any(needle in text for needle in _CONNECTION_FAILURES)


# What a failed connection may say; to a user's URL they all read the same.
_CONNECTION_FAILURES = (
    "connection refused",
    "timed out",
    "network is unreachable",
    "connection reset",
    "remote end closed",
    "urlopen error",
    "errno",
    "ssl:",
)


_NETWORK_REASONS = [
    ("connection refused", "the connection was refused"),
    ("failed to resolve", "the host name could not be resolved"),
    ("name or service not known", "the host name could not be resolved"),
    ("temporary failure in name resolution", "the host name could not be resolved"),
    ("timed out", "the connection timed out"),
    ("network is unreachable", "the network is unreachable"),
    ("connection reset", "the connection was reset"),
    ("remote end closed connection", "the server closed the connection"),
    ("certificate verify failed", "its TLS certificate could not be verified"),
    ("ssl:", "the secure connection failed"),
]

_COOKIES_HINT = "set YTDLP_COOKIES_FILE to a cookies file of an account that may watch it"


def explain_ytdlp_error(message: str, url: str) -> str:
    """One sentence for the user from a yt-dlp error text (YouTube's own reasons included)."""
    return ytdlp_failure(message, url).args[0]


def ytdlp_failure(message: str, url: str) -> DownloadError:
    """The DownloadError for a yt-dlp error text: one sentence, and whether a retry can help."""
    text = message.lower()
    if "private video" in text or "video is private" in text:
        return DownloadError(
            "This video is private; only accounts the owner invited can watch it.",
            kind=FailureKind.PRIVATE,
        )
    if "confirm your age" in text or "age-restricted" in text or "inappropriate for some" in text:
        return DownloadError(f"This video is age-restricted; to download it, {_COOKIES_HINT}.")
    if "members-only" in text or "join this channel" in text:
        return DownloadError(
            f"This video is for channel members only; to download it, {_COOKIES_HINT}."
        )
    if "not a bot" in text:
        return DownloadError(
            f"YouTube asks this server to sign in to prove it is not a bot; {_COOKIES_HINT}."
        )
    if "available in your country" in text or "geo restrict" in text:
        return DownloadError("This video is not available in the country this server is in.")
    if "drm protected" in text:
        return DownloadError(
            "This video is protected by DRM and cannot be downloaded.",
            kind=FailureKind.UNSUPPORTED,
        )
    if "live event will begin" in text or "premieres in" in text:
        return DownloadError("This live stream or premiere has not started yet.")
    if (
        "video unavailable" in text
        or "has been removed" in text
        or "no longer available" in text
        or "account associated with this video has been terminated" in text
        or "does not exist" in text
        or "this video is not available" in text
    ):
        return DownloadError(
            "This video has been removed or is no longer available.",
            kind=FailureKind.SOURCE_GONE,
        )
    if "is not a valid url" in text:
        return DownloadError("This is not a valid video URL.", kind=FailureKind.UNSUPPORTED)
    if "unsupported url" in text:
        return DownloadError(
            "No video found at this URL: the site is not supported or the page holds no video.",
            kind=FailureKind.UNSUPPORTED,
        )
    if status := re.search(r"http error (\d{3})", text):
        return _http_error(int(status.group(1)))
    for needle, reason in _NETWORK_REASONS:
        if needle in text:
            return DownloadError(f"Could not reach {urlsplit(url).hostname or url}: {reason}.")
    if "requested format is not available" in text:
        return DownloadError(
            "This video offers no format that can be downloaded.", kind=FailureKind.UNSUPPORTED
        )
    return DownloadError(f"Could not download the video: {_ytdlp_reason(message)}.")


def _http_error(status: int) -> DownloadError:
    if status == 404:
        return DownloadError(
            "Nothing was found at this URL (HTTP 404); check the link.",
            kind=FailureKind.SOURCE_GONE,
        )
    if status == 410:
        return DownloadError(
            "This video is gone from the site (HTTP 410).", kind=FailureKind.SOURCE_GONE
        )
    if status in {401, 403}:
        return DownloadError(f"The site refused access to this video (HTTP {status}).")
    if status == 429:
        return DownloadError("The site is rate-limiting this server (HTTP 429); try again later.")
    return DownloadError(f"The site answered with an error (HTTP {status}); try again later.")


def _ytdlp_reason(message: str) -> str:
    """yt-dlp's text without its 'ERROR: [extractor] id:' prefix and '(caused by ...)' suffix."""
    reason = re.sub(r"^ERROR:\s*(\[[^\]]+\]\s*)?([\w-]+:\s+)?", "", message.strip())
    return reason.split(" (caused by ")[0].split("; please report")[0].rstrip(". ")


# --- the cache -------------------------------------------------------------------------------


def _cache_key(info: dict[str, Any]) -> str:
    extractor = str(info.get("extractor") or "unknown")
    key = f"{extractor}-{info.get('id')}"
    if extractor == "generic":  # its ids are file names: two sites may both serve video.mp4
        page = str(info.get("webpage_url") or info.get("original_url") or "")
        key += "-" + hashlib.sha256(page.encode()).hexdigest()[:10]
    return re.sub(r"[^A-Za-z0-9._-]", "_", key)[:120]


def _metadata(info: dict[str, Any], video: Path, url: str) -> dict[str, Any]:
    if not video.is_file():
        raise DownloadError("The download finished without producing an MP4 file.")
    try:
        probed = probe(video)
    except PipelineError as exc:
        raise DownloadError("The downloaded file is not a playable video.") from exc
    duration = float(info.get("duration") or probed.duration)
    _check_length(duration)  # the extractor may not have known the length before downloading
    return {
        "video_id": str(info.get("id")),
        "title": info.get("title") or str(info.get("id")),
        "duration": duration,
        "uploader": info.get("uploader") or info.get("channel"),
        "thumbnail_url": info.get("thumbnail"),
        "extractor": str(info.get("extractor") or "unknown"),
        "webpage_url": info.get("webpage_url") or url,
    }


def _commit(workdir: Path, entry: Path, metadata: dict[str, Any]) -> DownloadResult:
    """Write the metadata, then move the finished download into the cache in one rename."""
    write_text_atomic(workdir / INFO_FILE, json.dumps(metadata, indent=2))
    for leftover in workdir.iterdir():
        if leftover.name not in {VIDEO_FILE, INFO_FILE}:
            leftover.unlink()
    try:
        workdir.rename(entry)
    except OSError:  # already there: another download of the same video finished first
        existing = _load_entry(entry)
        if existing:
            return existing
        shutil.rmtree(entry)
        workdir.rename(entry)
    loaded = _load_entry(entry)
    assert loaded is not None
    return loaded


def _load_entry(entry: Path) -> DownloadResult | None:
    try:
        data = json.loads((entry / INFO_FILE).read_text())
    except (OSError, ValueError):
        return None
    if not (entry / VIDEO_FILE).is_file():
        return None
    return DownloadResult(
        path=entry / VIDEO_FILE,
        video_id=data["video_id"],
        title=data["title"],
        duration=float(data["duration"]),
        uploader=data.get("uploader"),
        thumbnail_url=data.get("thumbnail_url"),
        source=data.get("webpage_url", ""),
        extractor=data["extractor"],
    )


def _source_index(url: str, media_dir: Path) -> Path:
    return media_dir / "sources" / f"{hashlib.sha256(url.encode()).hexdigest()[:32]}.txt"


def _cached_by_url(url: str, media_dir: Path) -> DownloadResult | None:
    """The cached entry for this URL, found without any network request."""
    if video_id := youtube_video_id(url):
        return _load_entry(media_dir / f"youtube-{video_id}")
    try:
        key = _source_index(url, media_dir).read_text().strip()
    except OSError:
        return None
    return _load_entry(media_dir / key) if key else None


def _remember_source(url: str, key: str, media_dir: Path) -> None:
    index = _source_index(url, media_dir)
    index.parent.mkdir(exist_ok=True)
    write_text_atomic(index, key)


def _remove_stale_partials(media_dir: Path) -> None:
    """Partial downloads left behind by a killed process (a live one is never this old)."""
    cutoff = time.time() - STALE_PARTIAL_SECONDS
    for partial in media_dir.glob(f"{PARTIAL_PREFIX}*"):
        try:
            newest = max(p.stat().st_mtime for p in [partial, *partial.rglob("*")])
        except OSError:  # it is being removed right now
            continue
        if newest < cutoff:
            shutil.rmtree(partial, ignore_errors=True)


def check_source(source: str, guard: NetGuard | None = None) -> str:
    """The cleaned-up web URL for `source`, or a DownloadError saying why it cannot be one.

    What web users may submit: http(s) only, never local paths or file:// URLs, and with a
    `guard` only hosts on addresses it allows."""
    source = source.strip()
    if not source:
        raise DownloadError("Paste a video URL first.")
    url = _web_url(source, allow_local_files=False)
    if guard is not None:
        _check_address(url, guard)
    return url
