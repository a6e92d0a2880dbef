"""The validate step: candidate moments in, clean clips out.

Every moment is snapped to whole words (never cut mid-word), moved to a sentence start and end
where one is within reach, extended or trimmed by whole sentences (else words) into
[min_seconds, max_seconds], and padded with a little of the silence around it. Then: min score,
no overlaps (the better score wins), the top N by score.

Whisper's word times are often a tenth of a second or two off, so with the audio at hand each cut
is then moved into the silence the audio really has between the words (`Envelope`).
"""

from __future__ import annotations

import wave
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from viralclipper.pipeline.moment import Moment
from viralclipper.pipeline.transcript import Transcript

REACH_SECONDS = 12.0  # a cut moves this far to reach a sentence start or end
PAD_SECONDS = 0.15

FRAME_SECONDS = 0.01
SILENCE_DB = -40.0  # a frame this far below the talk's speech level is silent
MIN_SILENCE_SECONDS = 0.05  # shorter dips are inside a word
GOOD_SILENCE_SECONDS = 0.12  # a pause this long is taken over a shorter one nearer the words
SEARCH_BEFORE = 1.0  # how far before a word time a cut may move ...
SEARCH_AFTER = 0.3  # ... and how far past it (into what Whisper called the word)


@dataclass(frozen=True)
class Envelope:
    """Which 10 ms frames of the talk are silent: well below its speech level."""

    silent: np.ndarray  # bool per frame

    @classmethod
    def of_wav(cls, path: Path) -> Envelope:
        """From a 16-bit PCM WAV (the cached audio the transcription read)."""
        with wave.open(str(path)) as w:
            rate, channels = w.getframerate(), w.getnchannels()
            pcm = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
        mono = pcm.reshape(-1, channels).mean(axis=1) / 32768.0
        hop = max(1, round(rate * FRAME_SECONDS))
        frames = mono[: mono.size // hop * hop].reshape(-1, hop)
        rms = np.sqrt(np.mean(frames**2, axis=1))
        loud = float(np.percentile(rms, 95)) if rms.size else 0.0
        return cls(rms < max(loud, 1e-6) * 10 ** (SILENCE_DB / 20))

    def silences(self, lo: float, hi: float) -> list[tuple[float, float]]:
        """The silent runs (start, end) in seconds overlapping [lo, hi], cut to it."""
        a = max(0, int(lo / FRAME_SECONDS))
        b = min(self.silent.size, int(np.ceil(hi / FRAME_SECONDS)))
        if b <= a:
            return []
        padded = np.concatenate([[False], self.silent[a:b], [False]]).astype(np.int8)
        edges = np.flatnonzero(np.diff(padded))
        return [
            ((a + s) * FRAME_SECONDS, (a + e) * FRAME_SECONDS)
            for s, e in zip(edges[::2], edges[1::2], strict=True)
            if (e - s) * FRAME_SECONDS >= MIN_SILENCE_SECONDS
        ]


@dataclass(frozen=True)
class _Timeline:
    """Word times and which word indices start and end a sentence."""

    starts: list[float]
    ends: list[float]
    sentence_starts: list[int]
    sentence_ends: list[int]
    duration: float

    def span(self, first: int, last: int) -> float:
        return self.ends[last] - self.starts[first]


def select_clips(
    moments: list[Moment],
    transcript: Transcript,
    *,
    min_seconds: float = 15.0,
    max_seconds: float = 60.0,
    min_score: float = 0.0,
    max_clips: int = 8,
    envelope: Envelope | None = None,
) -> list[Moment]:
    """The clips to cut, best score first; with the talk's `envelope` the cuts fall in silence."""
    timeline = _timeline(transcript)
    if timeline is None:
        return []
    repaired = [
        clip
        for m in moments
        if m.score >= min_score
        if (clip := _repair(m, timeline, min_seconds, max_seconds, envelope)) is not None
    ]
    repaired.sort(key=lambda m: (-m.score, m.start))
    kept: list[Moment] = []
    for clip in repaired:
        if len(kept) >= max_clips:
            break
        if not any(clip.start < k.end and k.start < clip.end for k in kept):
            kept.append(clip)
    return kept


def _timeline(transcript: Transcript) -> _Timeline | None:
    sentences = transcript.sentences
    # without word timestamps the segments stand in for words (each is a whole sentence)
    units = [w for s in sentences for w in s.words] or sentences
    if not units:
        return None
    sentence_starts, sentence_ends, index = [], [], 0
    for sentence in sentences:
        count = len(sentence.words) or 1
        sentence_starts.append(index)
        sentence_ends.append(index + count - 1)
        index += count
    ends = [u.end for u in units]
    return _Timeline(
        [u.start for u in units],
        ends,
        sentence_starts,
        sentence_ends,
        max(transcript.duration, ends[-1]),
    )


def _repair(
    moment: Moment,
    t: _Timeline,
    min_seconds: float,
    max_seconds: float,
    envelope: Envelope | None = None,
) -> Moment | None:
    first = bisect_right(t.ends, moment.start)  # the word under the start, or the next one
    last = bisect_left(t.starts, moment.end) - 1  # the word under the end, or the one before
    if first >= len(t.starts) or last < first:
        return None
    first = _nearest(t.sentence_starts, t.starts, first, lambda k: k <= last)
    last = _nearest(t.sentence_ends, t.ends, last, lambda k: k >= first)
    span = _extend(first, last, t, min_seconds, max_seconds)
    if span is not None:
        span = _trim(*span, t, min_seconds, max_seconds)
    if span is None:
        return None
    start, end = _padded(*span, t, max_seconds)
    if envelope is not None:
        start, end = _in_silence(*span, t, envelope, (start, end), max_seconds)
    return moment.model_copy(update={"start": start, "end": end})


def _in_silence(
    first: int,
    last: int,
    t: _Timeline,
    envelope: Envelope,
    padded: tuple[float, float],
    max_seconds: float,
) -> tuple[float, float]:
    """The cuts moved into the real silence nearest to where the words say speech starts and
    ends, keeping a pad of it; never past the middle of a neighbouring word. Where the audio has
    no silence there, the padded word times stay."""
    onset, offset = t.starts[first], t.ends[last]
    previous_middle = (t.starts[first - 1] + t.ends[first - 1]) / 2 if first > 0 else 0.0
    next_middle = (
        (t.starts[last + 1] + t.ends[last + 1]) / 2 if last + 1 < len(t.starts) else t.duration
    )
    before = envelope.silences(max(previous_middle, onset - SEARCH_BEFORE), onset + SEARCH_AFTER)
    after = envelope.silences(offset - SEARCH_AFTER, min(next_middle, offset + SEARCH_BEFORE))
    start, end = padded
    if before:
        a, b = min(before, key=lambda run: (_short(run), abs(run[1] - onset)))
        start = max(a, b - PAD_SECONDS)
    if after:
        a, b = min(after, key=lambda run: (_short(run), abs(run[0] - offset)))
        end = min(b, a + PAD_SECONDS, t.duration)
    if end - start > max_seconds:
        return padded
    return start, end


def _short(run: tuple[float, float]) -> bool:
    return run[1] - run[0] < GOOD_SILENCE_SECONDS


def _nearest(
    candidates: list[int], times: list[float], index: int, allowed: Callable[[int], bool]
) -> int:
    """The sentence boundary nearest to word `index` within reach, else `index` itself."""
    here = times[index]
    reachable = [k for k in candidates if abs(times[k] - here) <= REACH_SECONDS and allowed(k)]
    return min(reachable, key=lambda k: (abs(times[k] - here), k), default=index)


def _extend(
    first: int, last: int, t: _Timeline, min_seconds: float, max_seconds: float
) -> tuple[int, int] | None:
    """Grow a short span: whole sentences forward, then backward, then single words."""
    while t.span(first, last) < min_seconds:
        next_end = next((k for k in t.sentence_ends if k > last), None)
        previous_start = next((k for k in reversed(t.sentence_starts) if k < first), None)
        options = [(first, next_end), (previous_start, last), (first, last + 1), (first - 1, last)]
        fitting = [
            (a, b)
            for a, b in options
            if a is not None
            and b is not None
            and a >= 0
            and b < len(t.starts)
            and t.span(a, b) <= max_seconds
        ]
        if not fitting:
            return None
        first, last = fitting[0]
    return first, last


def _trim(
    first: int, last: int, t: _Timeline, min_seconds: float, max_seconds: float
) -> tuple[int, int] | None:
    """Cut a long span back to the latest sentence end (else word end) within the maximum."""
    if t.span(first, last) <= max_seconds:
        return first, last
    latest_word = bisect_right(t.ends, t.starts[first] + max_seconds) - 1
    sentence_ends = t.sentence_ends[: bisect_right(t.sentence_ends, latest_word)]
    for end in (sentence_ends[-1] if sentence_ends else -1, latest_word):
        if end >= first and min_seconds <= t.span(first, end) <= max_seconds:
            return first, end
    return None


def _padded(first: int, last: int, t: _Timeline, max_seconds: float) -> tuple[float, float]:
    """A little of the silence around the words, never past half the gap to a neighbour."""
    start, end = t.starts[first], t.ends[last]
    before = (t.ends[first - 1] + start) / 2 if first > 0 else 0.0
    after = (end + t.starts[last + 1]) / 2 if last + 1 < len(t.starts) else t.duration
    padded_start = min(start, max(before, start - PAD_SECONDS, 0.0))
    padded_end = max(end, min(after, end + PAD_SECONDS, t.duration))
    excess = padded_end - padded_start - max_seconds
    if excess > 0:  # padding must not break the maximum: give back the end's pad first
        padded_end -= min(excess, padded_end - end)
        padded_start += max(0.0, padded_end - padded_start - max_seconds)
    return padded_start, padded_end
