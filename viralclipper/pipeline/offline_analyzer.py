"""The offline analyzer: finds clip-worthy moments with no network and no API key.

Candidate windows start at a sentence start, end at a sentence end, last between `min_seconds`
and `max_seconds`, and overlap. A sentence longer than half of `max_seconds` (a transcript without
punctuation) is cut into pieces first, so windows always exist. A cheap pass scores every window
from per-sentence counts (prefix sums); only the chosen windows get their reasoning written.

Each window gets a strength in 0..1 per signal; counted signals are measured per 20 s of window,
so a long window does not win merely by being long:

| signal      | weight | strength 1.0 when                                                    |
|-------------|--------|----------------------------------------------------------------------|
| criteria    | 40     | a criterion fully matches (below)                                    |
| hook        | 15     | the first sentence is a question (a hook phrase in it: 0.8)          |
| claim       | 15     | 3 strong claims per 20 s: superlatives, never/always/nobody/everyone,|
|             |        | "the secret", "the truth"                                            |
| numbers     | 10     | 2 figures, percentages or amounts of money per 20 s                  |
| exclamation | 5      | 1 sentence ending in "!" per 20 s                                    |
| pace        | 7.5    | words per second 30 % above the median window of the talk            |
| loudness    | 7.5    | RMS 6 dB above the whole file's (only with `audio_path`)             |

score = 100 * sum(weight * strength) / sum(weights of the signals measured), so a run without
audio is on the same 0-100 scale. A criterion's own score is 0.6 * its phrases (2 hits per 20 s
= 1.0) + 0.4 * the mean strength of the signals its file lists; it counts as matched from 0.3.
The criteria strength is the best criterion's score plus a quarter of the other matched ones'
(capped at 1). On the generated sample talk, filler windows score under 20 and the planted
passages 65-85.
"""

from __future__ import annotations

import math
import re
import statistics
import wave
from collections.abc import Callable
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path

import numpy as np

from viralclipper.pipeline.criteria import Criterion
from viralclipper.pipeline.moment import Moment
from viralclipper.pipeline.progress import Reporter
from viralclipper.pipeline.transcript import Transcript

SIGNALS = ("hook", "question", "claim", "numbers", "exclamation", "pace", "loudness")
WEIGHTS = {
    "criteria": 40.0,
    "hook": 15.0,
    "claim": 15.0,
    "numbers": 10.0,
    "exclamation": 5.0,
    "pace": 7.5,
    "loudness": 7.5,
}
PER_SECONDS = 20.0
CRITERION_MATCHED = 0.3
TITLE_CHARS = 70
CHUNK_WINDOWS = 256
FRAME_SECONDS = 0.05

CLAIM = re.compile(
    r"\b(?:the (?:secret|truth|real reason|only way)|nobody|no one|everyone|everybody|never"
    r"|always|nothing|everything|guaranteed?|the (?:most|least) \w+|(?:best|worst|biggest|greatest"
    r"|largest|hardest|easiest|fastest|craziest|funniest|scariest|smartest|dumbest))\b"
)
_TENS = (
    r"(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand|million"
    r"|billion|trillion)s?"
)
_DIGIT = r"(?:a|one|two|three|four|five|six|seven|eight|nine|ten|\d[\d,.]*)"
_UNIT = (
    r"(?:percent|dollars|bucks|euros|pounds|million|billion|thousand|hundred|x|times|years"
    r"|months|weeks|days|hours|minutes)"
)
NUMBER = re.compile(
    r"[$€£]\s?\d[\d,.]*(?:\s?(?:k|m|bn|million|billion|thousand)\b)?"  # money in figures
    rf"|\b\d[\d,.]*(?:\s?%|\s{_UNIT}\b)?"  # 90%, 3 years, 2019
    rf"|\b(?:{_DIGIT}[ -])?{_TENS}(?:[ -]{_DIGIT})?(?:\s{_UNIT})?\b"  # two million dollars
)
HOOK = re.compile(
    r"\b(?:here(?:'s| is) (?:the|why|how|what)|the (?:secret|truth|reason|mistake)|nobody tells"
    r"|no one (?:tells|talks)|what if|imagine|did you know|you won't believe|you will not believe"
    r"|let me tell you|stop \w+ing|this is why|listen)\b"
)


@dataclass
class _Line:
    """A sentence (or a piece of a very long one) and what it says."""

    start: float
    end: float
    text: str
    words: int
    claims: list[str]
    numbers: list[str]
    hook: bool  # opens with (or holds) a hook phrase
    question: bool
    exclamation: bool
    hits: list[list[str]]  # phrase hits per criterion

    @property
    def signal(self) -> int:
        return (
            len(self.claims)
            + len(self.numbers)
            + sum(len(h) for h in self.hits)
            + self.question
            + self.exclamation
        )


@dataclass
class _Window:
    first: int
    last: int
    start: float
    end: float
    score: float = 0.0


class _Scorer:
    """Per-window strengths from prefix sums over the lines."""

    def __init__(
        self, lines: list[_Line], criteria: list[Criterion], loudness: _Loudness | None
    ) -> None:
        self.lines, self.criteria, self.loudness = lines, criteria, loudness
        self.claims = _prefix(len(ln.claims) for ln in lines)
        self.numbers = _prefix(len(ln.numbers) for ln in lines)
        self.exclamations = _prefix(ln.exclamation for ln in lines)
        self.questions = _prefix(ln.question for ln in lines)
        self.words = _prefix(ln.words for ln in lines)
        self.hits = [_prefix(len(ln.hits[c]) for ln in lines) for c in range(len(criteria))]
        self.median_pace = 1.0

    def pace(self, w: _Window) -> float:
        return _span(self.words, w) / max(w.end - w.start, 1e-6)

    def strengths(self, w: _Window) -> dict[str, float | None]:
        per = PER_SECONDS / max(w.end - w.start, 1e-6)
        first = self.lines[w.first]
        pace_ratio = self.pace(w) / self.median_pace
        return {
            "hook": 1.0 if first.question else 0.8 if first.hook else 0.0,
            "question": 1.0 if first.question else 0.5 if _span(self.questions, w) else 0.0,
            "claim": min(1.0, _span(self.claims, w) * per / 3),
            "numbers": min(1.0, _span(self.numbers, w) * per / 2),
            "exclamation": min(1.0, _span(self.exclamations, w) * per),
            "pace": _clamp((pace_ratio - 1.0) / 0.3),
            "loudness": None if self.loudness is None else _clamp(self.loudness.gain(w) / 6),
        }

    def criterion_scores(self, w: _Window, strengths: dict[str, float | None]) -> list[float]:
        per = PER_SECONDS / max(w.end - w.start, 1e-6)
        scores = []
        for criterion, hits in zip(self.criteria, self.hits, strict=True):
            phrases = min(1.0, _span(hits, w) * per / 2)
            measured = [s for name in criterion.signals if (s := strengths.get(name)) is not None]
            scores.append(
                0.6 * phrases + 0.4 * sum(measured) / len(measured) if measured else phrases
            )
        return scores

    def score(self, w: _Window) -> float:
        strengths = self.strengths(w)
        criteria = sorted(self.criterion_scores(w, strengths), reverse=True)
        others = sum(c for c in criteria[1:] if c >= CRITERION_MATCHED)
        strengths["criteria"] = min(1.0, criteria[0] + 0.25 * others) if criteria else 0.0
        measured = {k: s for k, s in strengths.items() if k in WEIGHTS and s is not None}
        total = sum(WEIGHTS[k] * s for k, s in measured.items())
        return round(100 * total / sum(WEIGHTS[k] for k in measured), 1)


class _Loudness:
    """RMS per short frame of a 16 kHz mono WAV, summed cumulatively for O(1) window queries."""

    def __init__(self, path: Path) -> None:
        with wave.open(str(path)) as wav:
            rate, channels, width = wav.getframerate(), wav.getnchannels(), wav.getsampwidth()
            if width != 2:
                raise ValueError(f"{path.name}: expected 16-bit PCM, got {8 * width}-bit")
            frame = max(1, int(rate * FRAME_SECONDS))
            energies: list[np.ndarray] = []
            while chunk := wav.readframes(frame * 200):
                samples = np.frombuffer(chunk, dtype="<i2").astype(np.float32) / 32768.0
                samples = samples.reshape(-1, channels).mean(axis=1)
                usable = len(samples) // frame * frame
                if usable:
                    energies.append(
                        (samples[:usable].reshape(-1, frame) ** 2).mean(axis=1, dtype=np.float64)
                    )
        energy = np.concatenate(energies) if energies else np.zeros(1)
        self.frame_seconds = frame / rate
        self.cumulative = np.concatenate([[0.0], np.cumsum(energy)])
        self.overall_db = _db(float(energy.mean()))

    def gain(self, w: _Window) -> float:
        """Window loudness minus the whole file's, in dB."""
        frames = len(self.cumulative) - 1
        a = min(frames - 1, max(0, int(w.start / self.frame_seconds)))
        b = min(frames, max(a + 1, math.ceil(w.end / self.frame_seconds)))
        mean = (self.cumulative[b] - self.cumulative[a]) / (b - a)
        return _db(float(mean)) - self.overall_db


def analyze_offline(
    transcript: Transcript,
    criteria: list[Criterion],
    reporter: Reporter | None = None,
    *,
    audio_path: Path | None = None,
    min_seconds: float = 15.0,
    max_seconds: float = 60.0,
    max_moments: int = 12,
) -> list[Moment]:
    """The best non-overlapping windows of the transcript, best first, as moments."""
    reporter = reporter or Reporter()
    reporter(0.0, "Reading the transcript")
    lines = _lines(transcript, criteria, max_seconds / 2)
    if not lines:
        return []
    loudness = _Loudness(audio_path) if audio_path else None
    scorer = _Scorer(lines, criteria, loudness)
    windows = _windows(lines, min_seconds, max_seconds)
    scorer.median_pace = statistics.median(scorer.pace(w) for w in windows) or 1.0
    for done in range(0, len(windows), CHUNK_WINDOWS):
        reporter(0.1 + 0.8 * done / len(windows), f"Scoring windows ({done}/{len(windows)})")
        for w in windows[done : done + CHUNK_WINDOWS]:
            w.score = scorer.score(w)
    chosen = _pick(windows, max_moments)
    reporter(0.95, f"Describing the {len(chosen)} best moments")
    moments = [_describe(w, scorer) for w in chosen]
    reporter(1.0, f"Found {len(moments)} moments")
    return moments


def _lines(transcript: Transcript, criteria: list[Criterion], longest: float) -> list[_Line]:
    patterns = [_phrase_pattern(c.phrases) for c in criteria]
    lines = []
    for start, end, text, words in _pieces(transcript, longest):
        lowered = text.lower().replace("’", "'")
        normalised = _normalise(text)
        ending = text.rstrip("\"') ")[-1:]
        lines.append(
            _Line(
                start=start,
                end=end,
                text=text,
                words=words,
                claims=CLAIM.findall(lowered),
                numbers=[n.strip(" .,") for n in NUMBER.findall(lowered)],
                hook=bool(HOOK.search(lowered)),
                question=ending == "?",
                exclamation=ending == "!",
                hits=[p.findall(normalised) if p else [] for p in patterns],
            )
        )
    return lines


def _pieces(transcript: Transcript, longest: float) -> list[tuple[float, float, str, int]]:
    """(start, end, text, word count) per sentence; sentences over `longest` s are cut by words."""
    pieces = []
    for sentence in transcript.sentences:
        if not sentence.text:
            continue
        if sentence.end - sentence.start <= longest or len(sentence.words) < 2:
            words = len(sentence.words) or len(sentence.text.split())
            pieces.append((sentence.start, sentence.end, sentence.text, words))
            continue
        current: list = []
        for word in sentence.words:
            if current and word.end - current[0].start > longest:
                pieces.append(_piece(current))
                current = []
            current.append(word)
        pieces.append(_piece(current))
    return pieces


def _piece(words: list) -> tuple[float, float, str, int]:
    return words[0].start, words[-1].end, "".join(w.text for w in words).strip(), len(words)


def _windows(lines: list[_Line], min_seconds: float, max_seconds: float) -> list[_Window]:
    """Every sentence-aligned window lasting between `min_seconds` and `max_seconds`."""
    windows = []
    for first, head in enumerate(lines):
        for last in range(first, len(lines)):
            length = lines[last].end - head.start
            if length > max_seconds:
                break
            if length >= min_seconds:
                windows.append(_Window(first, last, head.start, lines[last].end))
    if not windows:  # every sentence alone is the best offer; the validate step extends or drops
        windows = [_Window(i, i, ln.start, ln.end) for i, ln in enumerate(lines)]
    return windows


def _pick(windows: list[_Window], count: int) -> list[_Window]:
    """Greedy: the best window, then the best that overlaps none already picked, and so on."""
    chosen: list[_Window] = []
    for w in sorted(windows, key=lambda w: (-w.score, w.end - w.start, w.start)):
        if len(chosen) >= count:
            break
        if all(w.end <= c.start or w.start >= c.end for c in chosen):
            chosen.append(w)
    return chosen


def _describe(w: _Window, scorer: _Scorer) -> Moment:
    lines = scorer.lines[w.first : w.last + 1]
    strongest = max(lines, key=lambda ln: ln.signal)  # the first of equals
    strengths = scorer.strengths(w)
    criterion_scores = scorer.criterion_scores(w, strengths)
    matched = [
        (c, i)
        for i, (c, s) in enumerate(zip(scorer.criteria, criterion_scores, strict=True))
        if s >= CRITERION_MATCHED
    ]
    matched.sort(key=lambda pair: -criterion_scores[pair[1]])
    return Moment(
        start=w.start,
        end=w.end,
        score=w.score,
        title=_title(strongest.text),
        hook=lines[0].text,
        quote=strongest.text,
        reasoning=_reasoning(w, lines, scorer, matched),
        criteria=[c.key for c, _ in matched],
    )


def _reasoning(
    w: _Window, lines: list[_Line], scorer: _Scorer, matched: list[tuple[Criterion, int]]
) -> str:
    """Why this window, as a person would say it: a few sentences, the evidence quoted."""
    sentences = [
        _opening(lines[0]),
        _substance(lines),
        _delivery(w, lines, scorer),
        _fit(matched, lines),
    ]
    said = [sentence for sentence in sentences if sentence]
    if not said:
        return (
            "Nothing in it stands out: it is one of the calmer stretches of the talk, kept "
            "because the rest scored lower still."
        )
    return " ".join(said)


def _opening(first: _Line) -> str:
    if first.question:
        return _sentence("It opens with a question viewers want answered", first.text)
    if first.hook:
        return _sentence("It opens with a hook that promises something worth hearing", first.text)
    return ""


def _substance(lines: list[_Line]) -> str:
    numbers = _distinct(n for ln in lines for n in ln.numbers)
    backed = f", backed by figures ({_and(numbers[:3])})" if numbers else ""
    claim = next((ln for ln in lines if ln.claims), None)
    if claim is None:
        return f"It gives concrete figures: {_and(numbers[:3])}." if numbers else ""
    if claim is lines[0] and (claim.question or claim.hook):  # quoted already
        return f"That opening is also a bold claim{backed}."
    return _sentence(f"It makes a bold claim{backed}", claim.text)


def _delivery(w: _Window, lines: list[_Line], scorer: _Scorer) -> str:
    how = []
    pace_ratio = scorer.pace(w) / scorer.median_pace
    if pace_ratio >= 1.1:
        how.append(f"talks {pace_ratio:.1f} times as fast as usual")
    if scorer.loudness is not None and (gain := scorer.loudness.gain(w)) >= 1.0:
        how.append(f"gets {gain:.1f} dB louder than in the rest of the talk")
    if exclamations := sum(ln.exclamation for ln in lines):
        how.append("exclaims once" if exclamations == 1 else f"exclaims {exclamations} times")
    return f"The speaker {_and(how)} here." if how else ""


def _fit(matched: list[tuple[Criterion, int]], lines: list[_Line]) -> str:
    if not matched:
        return ""
    best, index = matched[0]
    hits = _distinct(h for ln in lines for h in ln.hits[index])
    says = f"the speaker says {_and([f'“{hit}”' for hit in hits[:3]])}" if hits else ""
    if len(matched) == 1:
        return f"It fits your criterion “{best.title}”" + (f": {says}." if says else ".")
    titles = [f"“{criterion.title}”" for criterion, _ in matched]
    if says:
        titles[0] += f" ({says})"
    return f"It fits your criteria {_and(titles)}."


def _sentence(lead: str, quote: str) -> str:
    """`lead: "quote"`, ending as the quote ends (a question keeps its question mark)."""
    quote = _short(quote.strip())
    return f"{lead}: “{quote}”" + ("" if quote.endswith((".", "!", "?", "…")) else ".")


def _and(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    if not items:
        return ""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _phrase_pattern(phrases: list[str]) -> re.Pattern[str] | None:
    """Whole words, any case and punctuation, a short ending allowed on the last word."""
    normalised = sorted({_normalise(p) for p in phrases if _normalise(p)}, key=len, reverse=True)
    if not normalised:
        return None
    alternatives = "|".join(r"\s+".join(map(re.escape, p.split())) for p in normalised)
    return re.compile(rf"(?<![\w'])(?:{alternatives})\w{{0,3}}(?![\w'])")


def _normalise(text: str) -> str:
    return " ".join(match.group() for match in _tokens(text))


def _tokens(text: str) -> list[re.Match[str]]:
    """The words of `text` as the phrases are matched against them: lower case, ’ as '."""
    return list(TOKEN.finditer(text.lower().replace("’", "'")))


TOKEN = re.compile(r"[\w']+")


def phrase_finder(phrases: list[str]) -> Callable[[str], list[tuple[int, int]]] | None:
    """A function giving where `phrases` occur in a line, as (start, end) character ranges of
    the line, matched exactly as the analyzer counts a criterion's phrase hits; None when there
    are no phrases."""
    pattern = _phrase_pattern(phrases)
    if pattern is None:
        return None

    def find(text: str) -> list[tuple[int, int]]:
        tokens = _tokens(text)
        starts, ends, at = {}, {}, 0  # a token's place in the normalised text -> in `text`
        for token in tokens:
            starts[at], ends[at + len(token.group())] = token.start(), token.end()
            at += len(token.group()) + 1
        normalised = " ".join(token.group() for token in tokens)
        found = ((starts.get(m.start()), ends.get(m.end())) for m in pattern.finditer(normalised))
        return [(a, b) for a, b in found if a is not None and b is not None]

    return find


def _title(text: str) -> str:
    title = " ".join(text.split())
    if len(title) > TITLE_CHARS:
        title = title[: TITLE_CHARS - 1].rsplit(" ", 1)[0].rstrip(" ,;:.-–—") + "…"
    return title.rstrip(" ,;:.-–—") or text.strip()[:TITLE_CHARS]


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def _distinct(items) -> list[str]:
    return list(dict.fromkeys(items))


def _prefix(values) -> list[int]:
    return [0, *accumulate(int(v) for v in values)]


def _span(prefix: list[int], w: _Window) -> int:
    return prefix[w.last + 1] - prefix[w.first]


def _clamp(value: float) -> float:
    return min(1.0, max(0.0, value))


def _db(energy: float) -> float:
    return 10 * math.log10(energy + 1e-10)
