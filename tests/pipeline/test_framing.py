"""9:16 that follows the speaker: a real face photo (scikit-image's astronaut) moved across a
generated video, found by the shipped Haar cascade, followed by a smoothed crop path that ffmpeg
applies; checked on the rendered clip by finding the face again."""

from __future__ import annotations

import subprocess
from pathlib import Path

import av
import numpy as np
import pytest
from skimage import data

from viralclipper.config import get_settings
from viralclipper.pipeline.framing import (
    ANALYSIS_WIDTH,
    SAMPLE_FPS,
    crop_path,
    detect_faces,
    follow_face,
    shot_changes,
)
from viralclipper.pipeline.media import ffmpeg_binary, probe, read_frames
from viralclipper.pipeline.render import render_clip
from viralclipper.pipeline.sample import SampleTalk

WIDTH, HEIGHT, FPS, SECONDS = 960, 540, 25, 8.0
FACE = 260  # the face photo's side in the video
STILL_LEFT = (0.0, 1.5)  # the face holds still at the left ...
MOVING = (1.5, 4.5)  # ... moves to the right ...
STILL_RIGHT = (4.5, 6.0)  # ... holds still there ...
CUT = 6.0  # ... and a cut shows it on another background further left


def face_x(t: float) -> float:
    if t < MOVING[0]:
        return 40.0
    if t < MOVING[1]:
        return 40 + (WIDTH - FACE - 80) * (t - MOVING[0]) / (MOVING[1] - MOVING[0])
    return WIDTH - FACE - 40.0 if t < CUT else 200.0


def face_frames() -> bytes:
    import cv2

    photo = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)[10:250, 130:350]  # her head
    photo = cv2.resize(photo, (FACE, FACE))
    out = bytearray()
    for i in range(int(SECONDS * FPS)):
        t = i / FPS
        frame = np.full((HEIGHT, WIDTH, 3), (60, 60, 60) if t < CUT else (170, 200, 140), np.uint8)
        x = int(face_x(t))
        frame[140 : 140 + FACE, x : x + FACE] = photo
        out += frame.tobytes()
    return bytes(out)


@pytest.fixture(scope="module")
def moving_face(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("face") / "face.mp4"
    subprocess.run(
        [ffmpeg_binary(), "-v", "error", "-f", "rawvideo", "-pix_fmt", "bgr24"]
        + ["-s", f"{WIDTH}x{HEIGHT}", "-r", str(FPS), "-i", "-"]
        + ["-f", "lavfi", "-i", f"sine=f=220:d={SECONDS}", "-shortest"]
        + ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac"]
        + [str(out)],
        input=face_frames(),
        check=True,
    )
    return out


def grey_frames(path: Path, fps: float, width: int) -> tuple[np.ndarray, list[float]]:
    info = probe(path)
    return read_frames(path, info, 0.0, info.duration, fps, width)


def test_the_crop_path_holds_still_pans_and_jumps_at_the_cut(moving_face: Path):
    frames, times = grey_frames(moving_face, SAMPLE_FPS, ANALYSIS_WIDTH)

    path = crop_path(frames, times, (WIDTH, HEIGHT))

    assert path is not None
    assert (path.width, path.height) == (304, 540)
    still = [path.x_at(t) for t in np.arange(0.0, STILL_LEFT[1] - 0.2, 0.1)]
    assert max(still) - min(still) == 0  # no jitter while the face is still
    settled = [path.x_at(t) for t in np.arange(STILL_RIGHT[0] + 0.4, CUT - 0.1, 0.1)]
    assert max(settled) - min(settled) == 0
    assert path.x_at(3.0) > path.x_at(2.0) > path.x_at(1.0)  # a pan to the right
    # at the cut the window jumps within a frame instead of panning across it
    assert path.x_at(CUT - 0.01) - path.x_at(CUT + 0.01) > 300
    for t0, t1 in zip(times, times[1:], strict=False):
        if not t0 < CUT <= t1:  # elsewhere the pan speed is bounded (a crop width a second)
            assert abs(path.x_at(t1) - path.x_at(t0)) <= path.width * (t1 - t0) + 1


def test_the_rendered_9_16_clip_keeps_the_face_in_its_middle_half(moving_face: Path, tmp_path):
    options = get_settings().clip_defaults().updated(output_format="vertical", captions="none")

    out = render_clip(moving_face, 0.0, SECONDS, tmp_path / "short.mp4", options)

    frames, times = grey_frames(out, 5.0, 270)  # 270x480, the clip scaled down
    assert frames.shape[1:] == (480, 270)
    centres = [
        faces[0][0] + faces[0][2] / 2 if (faces := detect_faces(f)) else None for f in frames
    ]
    inside = [c is not None and 270 / 4 <= c <= 270 * 3 / 4 for c in centres]
    assert sum(inside) >= 0.9 * len(frames), list(zip(times, centres, strict=True))

    def frame_at(t: float) -> np.ndarray:
        return frames[round(t * 5)].astype(int)

    # the crop does not move while the face is still: the picture stays the same
    assert np.abs(frame_at(0.2) - frame_at(1.2)).mean() < 2
    assert np.abs(frame_at(5.0) - frame_at(5.8)).mean() < 2


def test_the_biggest_face_is_followed_and_a_brief_change_does_not_switch_person():
    big, small = (10, 10, 60, 60), (200, 10, 30, 30)
    bigger_small = (200, 10, 90, 90)
    samples = [[big, small]] * 3 + [[bigger_small, big]] + [[big, small]] * 2
    samples += [[bigger_small, big]] * 4
    cuts = [False] * len(samples)

    centres = follow_face(samples, cuts)

    assert centres[:6] == [40.0] * 6  # one sample where the other face looks bigger: held
    assert centres[-1] == 245.0  # bigger for several samples in a row: the camera switches
    assert follow_face([[], [small]], [False, False]) == [None, 215.0]


def test_no_face_means_no_path_and_auto_renders_like_fit(sample_talk: SampleTalk, tmp_path):
    frames, times = grey_frames(sample_talk.path, SAMPLE_FPS, ANALYSIS_WIDTH)
    assert crop_path(frames[:9], times[:9], (640, 360)) is None  # a test pattern: no face

    def render(layout: str) -> np.ndarray:
        options = (
            get_settings()
            .clip_defaults()
            .updated(
                output_format="vertical",
                layout=layout,
                captions="none",
                vertical_resolution="720x1280",
                normalize_loudness=False,
            )
        )
        out = render_clip(sample_talk.path, 5.0, 6.0, tmp_path / f"{layout}.mp4", options)
        return grey_frames(out, 2.0, 180)[0][0].astype(int)

    auto, fit, center = render("auto"), render("fit"), render("center")
    assert np.abs(auto - fit).mean() < 1
    assert np.abs(fit - center).mean() > 10
    # fit: the whole 16:9 frame sits in the middle band; above it a blurred copy, not black
    assert fit[:40].mean() > 20 and np.abs(np.diff(fit[:40], axis=1)).mean() < 3


def test_a_new_shot_is_told_from_motion_within_one(moving_face: Path):
    frames, times = grey_frames(moving_face, SAMPLE_FPS, ANALYSIS_WIDTH)

    cuts = [t for t, cut in zip(times, shot_changes(frames), strict=True) if cut]

    assert len(cuts) == 1 and CUT <= cuts[0] < CUT + 1 / SAMPLE_FPS


@pytest.fixture(scope="module")
def two_faces(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two people side by side: the left in natural colours, the right with red and blue swapped."""
    import cv2

    photo = cv2.resize(
        cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)[10:250, 130:350], (FACE, FACE)
    )
    frame = np.full((HEIGHT, WIDTH, 3), 60, np.uint8)
    frame[140 : 140 + FACE, 100 : 100 + FACE] = photo
    frame[140 : 140 + FACE, 600 : 600 + FACE] = photo[:, :, ::-1]
    out = tmp_path_factory.mktemp("two") / "two.mp4"
    subprocess.run(
        [ffmpeg_binary(), "-v", "error", "-f", "rawvideo", "-pix_fmt", "bgr24"]
        + ["-s", f"{WIDTH}x{HEIGHT}", "-r", str(FPS), "-i", "-", "-t", "2"]
        + ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(out)],
        input=frame.tobytes() * (2 * FPS),
        check=True,
    )
    return out


def test_split_stacks_the_left_person_over_the_right_one(two_faces: Path, tmp_path):
    options = (
        get_settings()
        .clip_defaults()
        .updated(
            output_format="vertical",
            layout="split",
            captions="none",
            vertical_resolution="720x1280",
            normalize_loudness=False,
        )
    )

    out = render_clip(two_faces, 0.0, 1.0, tmp_path / "split.mp4", options)

    with av.open(str(out)) as container:
        frame = next(container.decode(video=0)).to_ndarray(format="bgr24").astype(int)
    assert frame.shape == (1280, 720, 3)
    top, bottom = frame[:640], frame[640:]
    assert top[..., 2].mean() - top[..., 0].mean() > 5  # natural colours: more red than blue
    assert bottom[..., 0].mean() - bottom[..., 2].mean() > 5  # the swapped one
    for half in (top, bottom):
        grey = half.mean(axis=2).astype(np.uint8)
        assert detect_faces(grey[::2, ::2].copy()), "a face in each half"
