"""SSRF: users' URLs reach public internet addresses only, checked when the URL is submitted
(web app, `jobs add`) and again on every connection the worker's download opens: the first
request, each redirect and each HLS fragment. Nothing here connects beyond 127.0.0.1: private,
link-local and metadata addresses come from an injected resolver or are IP literals that are
refused before any connection."""

from __future__ import annotations

import http.server
import shutil
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.http_server import VideoServer, serve_directory
from tests.queue.conftest import Backend, wait_for_status
from tests.security.guarded_site import PUBLIC_ADDRESS, FakeInternet
from tests.test_cli import run_cli
from viralclipper.config import get_settings
from viralclipper.models import jobs
from viralclipper.models.tables import User
from viralclipper.pipeline.download import DownloadError, check_source, download
from viralclipper.pipeline.netguard import address_allowed
from viralclipper.pipeline.sample import SampleTalk
from viralclipper.queue import api

pytestmark = pytest.mark.usefixtures("private_urls_refused")

NOT_ALLOWED = "is not allowed: videos are downloaded only from public internet sites"

REFUSED_ADDRESSES = [
    "127.0.0.1",
    "127.0.0.5",
    "0.0.0.0",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",  # cloud metadata
    "100.64.0.1",  # CGNAT
    "224.0.0.1",
    "239.255.255.250",
    "240.0.0.1",
    "255.255.255.255",
    "::1",
    "::",
    "fe80::1",
    "fe80::1%eth0",
    "fc00::1",
    "fd12:3456::1",
    "fec0::1",
    "ff02::1",
    "ff0e::1",
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:169.254.169.254",
    "::127.0.0.1",  # IPv4-compatible (deprecated)
    "2002:7f00:1::1",  # 6to4 of 127.0.0.1
    "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
    "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
    "2001:db8::1",  # documentation
    "not an address",
]
ALLOWED_ADDRESSES = [
    PUBLIC_ADDRESS,
    "8.8.8.8",
    "2606:4700:4700::1111",
    "::ffff:93.184.216.34",
    "64:ff9b::5db8:d822",  # NAT64 of 93.184.216.34
    "2002:5db8:d822::1",  # 6to4 of 93.184.216.34
]


@pytest.mark.parametrize("address", REFUSED_ADDRESSES)
def test_non_public_addresses_are_refused(address: str):
    assert not address_allowed(address)


@pytest.mark.parametrize("address", ALLOWED_ADDRESSES)
def test_public_addresses_are_allowed(address: str):
    assert address_allowed(address)


# --- at submission: the web app's and the API's submit_job, and `jobs add` -----------------------

SUBMITTED_URLS = [
    "http://127.0.0.5:8080/talk.mp4",
    "http://localhost/talk.mp4",
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.7/video.mp4",
    "http://100.64.0.1/video.mp4",
    "http://[::1]:8000/video.mp4",
    "http://[::ffff:127.0.0.1]/video.mp4",
    "http://0.0.0.0:22/",
    "http://0x7f000001/video.mp4",  # 127.0.0.1 written in hex, decimal and octal
    "http://2130706433/video.mp4",
    "http://0177.0.0.1/video.mp4",
]


@pytest.mark.parametrize("url", SUBMITTED_URLS)
def test_submit_job_refuses_urls_of_private_addresses(backend: Backend, user: User, url: str):
    with pytest.raises(DownloadError, match=NOT_ALLOWED):
        api.submit_job(user.id, url)
    assert jobs.list_jobs(user.id) == []


def test_allow_private_urls_lifts_the_rule(
    backend: Backend, user: User, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("ALLOW_PRIVATE_URLS", "true")
    get_settings.cache_clear()
    job = api.submit_job(user.id, "http://10.0.0.7/video.mp4")
    assert job.status == "pending"


def test_a_host_name_is_judged_by_the_address_it_resolves_to():
    internet = FakeInternet(port=80)
    guard = internet.guard()
    url = check_source("https://videos.example/watch?v=1", guard)
    assert url == "https://videos.example/watch?v=1"
    for host in ["metadata.example", "intranet.example", "cgnat.example", "mapped.example"]:
        with pytest.raises(DownloadError, match=f"The address of {host} {NOT_ALLOWED}"):
            check_source(f"https://{host}/video.mp4", guard)
    assert internet.connected == []  # checking resolves, it never connects


def test_jobs_add_refuses_a_metadata_address(tmp_path: Path):
    env = {"VIRALCLIPPER_DATA_DIR": str(tmp_path / "data"), "ALLOW_PRIVATE_URLS": "false"}
    created = run_cli("user", "create", "ops@example.com", stdin="a long password\n", env=env)
    assert created.returncode == 0, created.stderr
    refused = run_cli(
        "jobs",
        "add",
        "http://169.254.169.254/latest/meta-data/",
        "--user",
        "ops@example.com",
        env=env,
    )
    assert refused.returncode == 1
    assert NOT_ALLOWED in refused.stderr and "Traceback" not in refused.stderr
    assert run_cli("jobs", "list", "--json", env=env).stdout.strip() == "[]"


def test_process_on_the_operators_machine_is_not_restricted(site: VideoServer, tmp_path: Path):
    out = tmp_path / "clips"
    env = {
        "VIRALCLIPPER_DATA_DIR": str(tmp_path / "data"),
        "ALLOW_PRIVATE_URLS": "false",
        "ANALYZER": "offline",
    }
    args = ["--out", str(out), "--max-clips", "1", "--min-seconds", "5", "--max-seconds", "20"]
    result = run_cli("process", site.url("short.mp4"), *args, env=env)
    assert result.returncode == 0, result.stderr
    assert (out / "clips.json").is_file() and "/short.mp4" in site.paths()


# --- in the worker ---------------------------------------------------------------------------


def test_the_worker_checks_again_before_downloading(
    backend: Backend, user: User, site: VideoServer, monkeypatch: pytest.MonkeyPatch
):
    """A job accepted while private URLs were allowed (or whose host resolved elsewhere when it
    was submitted) is still refused by a worker that does not allow them."""
    monkeypatch.setenv("ALLOW_PRIVATE_URLS", "true")
    get_settings.cache_clear()
    job = api.submit_job(user.id, site.url("short.mp4"))
    requests_before = len(site.requests)  # the site is shared with other tests
    backend.env["ALLOW_PRIVATE_URLS"] = "false"
    backend.start_worker()
    failed = wait_for_status(job.id, {"completed", "failed"}, backend)
    assert failed.status == "failed"
    assert failed.error_message == f"The address of 127.0.0.1 {NOT_ALLOWED}, never from this " + (
        "server or a private network."
    )
    assert site.requests[requests_before:] == []


# --- every connection of a download: redirects, fragments ------------------------------------


def _redirect(location: str):
    def route(handler: http.server.BaseHTTPRequestHandler) -> None:
        handler.send_response(302)
        handler.send_header("Location", location)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    return route


@pytest.fixture
def public_site(
    sample_talk: SampleTalk, tmp_path: Path
) -> Iterator[tuple[VideoServer, FakeInternet]]:
    """The sample talk on a server that the fake internet calls videos.example."""
    root = tmp_path / "site"
    root.mkdir()
    shutil.copy(sample_talk.path, root / "talk.mp4")
    routes: dict = {}
    with serve_directory(root, routes) as server:
        internet = FakeInternet(port=int(server.base.rsplit(":", 1)[1]))
        routes["/to-loopback.mp4"] = _redirect(f"{server.base}/talk.mp4")
        routes["/to-metadata.mp4"] = _redirect("http://metadata.example/latest/meta-data/")
        routes["/to-public.mp4"] = _redirect(internet.url("videos.example", "talk.mp4"))
        (root / "fragments.m3u8").write_text(
            "#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXT-X-PLAYLIST-TYPE:VOD\n"
            f"#EXTINF:10.0,\n{internet.url('videos.example', 'seg0.ts')}\n"
            f"#EXTINF:10.0,\n{internet.url('intranet.example', 'seg1.ts')}\n#EXT-X-ENDLIST\n"
        )
        yield server, internet


def test_a_public_looking_url_still_downloads(public_site, tmp_path: Path):
    server, internet = public_site
    result = download(
        internet.url("videos.example", "to-public.mp4"), tmp_path / "media", guard=internet.guard()
    )
    assert result.path.is_file() and result.duration > 60
    assert server.paths()[0] == "/to-public.mp4" and "/talk.mp4" in server.paths()
    assert {address for address, _ in internet.connected} == {PUBLIC_ADDRESS}


@pytest.mark.parametrize(
    ("path", "host"), [("to-loopback.mp4", "127.0.0.1"), ("to-metadata.mp4", "metadata.example")]
)
def test_a_redirect_to_a_private_address_is_refused(public_site, tmp_path: Path, path, host):
    server, internet = public_site
    with pytest.raises(DownloadError, match=f"The address of {host} {NOT_ALLOWED}"):
        download(internet.url("videos.example", path), tmp_path / "media", guard=internet.guard())
    assert server.paths() == [f"/{path}"]
    assert not list((tmp_path / "media").glob(".partial-*"))


def test_a_fragment_on_a_private_address_is_refused(public_site, tmp_path: Path):
    server, internet = public_site
    with pytest.raises(DownloadError, match=f"The address of intranet.example {NOT_ALLOWED}"):
        download(
            internet.url("videos.example", "fragments.m3u8"),
            tmp_path / "media",
            guard=internet.guard(),
        )
    assert "/seg1.ts" not in server.paths()


@pytest.fixture
def resetting_server() -> Iterator[int]:
    """A port that accepts connections and drops them at once."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            conn.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
            )
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    listener.close()


def test_errors_do_not_tell_an_open_port_from_a_closed_one(tmp_path: Path, resetting_server: int):
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        closed_port = unused.getsockname()[1]
    messages = set()
    for port, failure in [
        (closed_port, None),  # connection refused
        (resetting_server, None),  # accepted, then reset
        (closed_port, TimeoutError("timed out")),  # no answer
    ]:
        internet = FakeInternet(port=port, failure=failure)
        with pytest.raises(DownloadError) as raised:
            download(
                internet.url("videos.example", "talk.mp4"),
                tmp_path / "media",
                guard=internet.guard(),
            )
        messages.add(str(raised.value))
    assert messages == {"Could not download from videos.example: it did not answer."}
