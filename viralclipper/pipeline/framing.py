"""9:16 framing that follows the speaker: pure, frames in, crop path out.

Faces are found with OpenCV's Haar cascade (shipped inside opencv-python-headless, no download)
on a few downscaled grey frames a second. The main face is the biggest one, held with hysteresis
so the camera does not flip between two people. The camera then moves like an operator would: it
holds still while the face stays inside a dead zone, pans at a bounded speed when the face leaves
it, and jumps at once at a shot change instead of panning across the cut. The path is a few
linear pieces that ffmpeg's crop filter evaluates per frame (`CropPath.expression`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

SAMPLE_FPS = 3.0  # analysed frames per second of clip
ANALYSIS_WIDTH = 384  # analysed frames are scaled down to this width
MIN_FACE_SHARE = 0.3  # fewer samples with a face than this: no face to follow (fit instead)
DEAD_ZONE = 0.10  # the face may drift this share of the crop width from its centre
SETTLE = 0.02  # a pan stops once the face is this close to the centre
MAX_PAN_SPEED = 1.0  # crop widths per second
SWITCH_RATIO = 1.4  # another face must be this much bigger ...
SWITCH_SAMPLES = 3  # ... for this many samples in a row before the camera changes person
TWO_FACES_SHARE = 0.5  # `split` needs two faces in at least this share of the samples
SPLIT_HEIGHT = 0.8  # each half of `split` shows this share of the source's height
CUT_HISTOGRAM_DISTANCE = 0.35  # Bhattacharyya distance of grey histograms that means a new shot

Box = tuple[int, int, int, int]  # x, y, w, h in analysis pixels


@dataclass(frozen=True)
class CropPath:
    """The crop window's left edge (source pixels) over clip time: linear between points."""

    points: list[tuple[float, float]]  # (seconds, x)
    width: int  # the window's size in source pixels
    height: int

    def x_at(self, t: float) -> float:
        times = [p[0] for p in self.points]
        return float(np.interp(t, times, [p[1] for p in self.points]))

    def expression(self) -> str:
        """An ffmpeg expression of `t` giving x: nested ifs over the linear pieces."""
        expr = f"{self.points[-1][1]:.1f}"
        for (t0, x0), (t1, x1) in reversed(list(zip(self.points, self.points[1:], strict=False))):
            slope = (x1 - x0) / (t1 - t0) if t1 > t0 else 0.0
            expr = f"if(lt(t,{t1:.3f}),{x0:.1f}+{slope:.3f}*(t-{t0:.3f}),{expr})"
        return expr


@lru_cache
def _cascade() -> cv2.CascadeClassifier:
    path = cv2.data.haarcascades + "haarcascade_frontalface_default.xml"  # type: ignore[attr-defined]
    cascade = cv2.CascadeClassifier(path)
    if cascade.empty():
        raise RuntimeError(f"OpenCV's face cascade could not be loaded from {path}")
    return cascade


def detect_faces(frame: np.ndarray) -> list[Box]:
    """Frontal faces in a grey frame, biggest first."""
    min_side = max(16, frame.shape[0] // 12)
    found = _cascade().detectMultiScale(
        frame, scaleFactor=1.15, minNeighbors=5, minSize=(min_side, min_side)
    )
    boxes: list[Box] = [(int(x), int(y), int(w), int(h)) for x, y, w, h in found]
    return sorted(boxes, key=lambda b: -b[2] * b[3])


def shot_changes(frames: np.ndarray) -> list[bool]:
    """For each sample, whether it starts a new shot (its histogram differs a lot)."""
    hists = [cv2.calcHist([f], [0], None, [32], [0, 256]) for f in frames]
    for h in hists:
        cv2.normalize(h, h)
    return [False] + [
        cv2.compareHist(a, b, cv2.HISTCMP_BHATTACHARYYA) > CUT_HISTOGRAM_DISTANCE
        for a, b in zip(hists, hists[1:], strict=False)
    ]


def follow_face(detections: list[list[Box]], cuts: list[bool]) -> list[float | None]:
    """The followed face's centre x per sample (None where it is not seen): the biggest face,
    kept until another is clearly bigger for a few samples in a row, or a cut."""
    centres: list[float | None] = []
    current: Box | None = None
    challenger = 0
    for boxes, cut in zip(detections, cuts, strict=True):
        if not boxes:
            centres.append(None)
            continue
        if current is None or cut:
            current, challenger = boxes[0], 0
        else:
            same = min(boxes, key=lambda b: abs(_centre(b) - _centre(current)))  # type: ignore[arg-type]
            if abs(_centre(same) - _centre(current)) > current[2]:
                same = boxes[0]  # the followed face is gone
            bigger = boxes[0][2] * boxes[0][3] > SWITCH_RATIO * same[2] * same[3]
            challenger = challenger + 1 if bigger else 0
            current = boxes[0] if challenger >= SWITCH_SAMPLES else same
        centres.append(_centre(current))
    return centres


def _centre(box: Box) -> float:
    return box[0] + box[2] / 2


def crop_path(
    frames: np.ndarray, times: list[float], source_size: tuple[int, int]
) -> CropPath | None:
    """The 9:16 crop path that follows the main face, or None when there is no face to follow
    (or the source is not wider than 9:16)."""
    width, height = source_size
    crop_w = min(width, round(height * 9 / 16)) // 2 * 2
    if len(frames) == 0 or crop_w >= width:
        return None
    cuts = shot_changes(frames)
    centres = follow_face([detect_faces(f) for f in frames], cuts)
    if sum(c is not None for c in centres) < MIN_FACE_SHARE * len(centres):
        return None
    scale = width / frames.shape[2]
    targets = _smoothed(_filled(centres, cuts), cuts)
    camera = _camera([c * scale for c in targets], times, cuts, crop_w)
    points = [(t, float(min(max(x - crop_w / 2, 0), width - crop_w))) for t, x in camera]
    return CropPath(_simplified(points), crop_w, height // 2 * 2)


def split_windows(frames: np.ndarray, source_size: tuple[int, int]) -> tuple[Box, Box] | None:
    """For `split`: two 9:8 windows (source pixels), the left person's over the right one's,
    each centred on where that face mostly is; None unless two faces are seen most of the time."""
    pairs = [faces[:2] for f in frames if len(faces := detect_faces(f)) >= 2]
    if not len(frames) or len(pairs) < TWO_FACES_SHARE * len(frames):
        return None
    width, height = source_size
    scale = width / frames.shape[2]
    ordered = [sorted(pair, key=_centre) for pair in pairs]
    win_h = int(height * SPLIT_HEIGHT) // 2 * 2
    win_w = min(width, round(win_h * 9 / 8)) // 2 * 2
    windows = []
    for side in (0, 1):
        cx = float(np.median([_centre(p[side]) for p in ordered])) * scale
        cy = float(np.median([p[side][1] + p[side][3] / 2 for p in ordered])) * scale
        x = int(min(max(cx - win_w / 2, 0), width - win_w))
        y = int(min(max(cy - win_h / 2, 0), height - win_h))
        windows.append((x, y, win_w, win_h))
    return windows[0], windows[1]


def _filled(centres: list[float | None], cuts: list[bool]) -> list[float]:
    """Gaps take the last position seen in the same shot (the first one before it is seen)."""
    filled: list[float | None] = []
    starts = [i for i, cut in enumerate(cuts) if cut and i > 0]
    for a, b in zip([0, *starts], [*starts, len(centres)], strict=True):
        shot = centres[a:b]
        last = next((c for c in shot if c is not None), None)
        for c in shot:
            last = c if c is not None else last
            filled.append(last)
    fallback = next((c for c in filled if c is not None), 0.0)
    return [fallback if c is None else c for c in filled]


def _smoothed(targets: list[float], cuts: list[bool]) -> list[float]:
    """A 3-sample median within each shot: one wrong detection does not move the camera."""
    out = []
    for i, value in enumerate(targets):
        window = [value]
        if i > 0 and not cuts[i]:
            window.append(targets[i - 1])
        if i + 1 < len(targets) and not cuts[i + 1]:
            window.append(targets[i + 1])
        out.append(float(np.median(window)))
    return out


def _camera(
    targets: list[float], times: list[float], cuts: list[bool], crop_w: int
) -> list[tuple[float, float]]:
    """The crop's centre over time: still inside the dead zone, bounded pans, jumps at cuts."""
    camera = targets[0]
    panning = False
    path = [(times[0], camera)]
    for i in range(1, len(targets)):
        target, dt = targets[i], times[i] - times[i - 1]
        if cuts[i]:
            path.append((max(times[i] - 0.001, times[i - 1]), camera))
            camera, panning = target, False
        else:
            error = target - camera
            panning = abs(error) > (SETTLE if panning else DEAD_ZONE) * crop_w
            if panning:
                step = min(abs(error), MAX_PAN_SPEED * crop_w * dt)
                camera += step if error > 0 else -step
        path.append((times[i], camera))
    return path


def _simplified(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Points that lie on the line between their neighbours (within half a pixel) dropped."""
    if len(points) <= 2:
        return points
    kept = [points[0]]
    for i in range(1, len(points) - 1):
        (t0, x0), (t1, x1), (t2, x2) = kept[-1], points[i], points[i + 1]
        expected = x0 + (x2 - x0) * (t1 - t0) / (t2 - t0) if t2 > t0 else x1
        if abs(expected - x1) > 0.5:
            kept.append(points[i])
    kept.append(points[-1])
    return kept
