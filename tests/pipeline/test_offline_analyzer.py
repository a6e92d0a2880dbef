"""The offline analyzer on the real transcript of the sample talk and on hand-made transcripts."""

from __future__ import annotations

import re
import wave
from pathlib import Path

import numpy as np
import pytest

from viralclipper.config import CRITERIA_DIR
from viralclipper.pipeline.criteria import Criterion, load_criteria
from viralclipper.pipeline.moment import Moment
from viralclipper.pipeline.offline_analyzer import _lines, analyze_offline, phrase_finder
from viralclipper.pipeline.progress import Cancelled, Reporter
from viralclipper.pipeline.sample import Passage, SampleTalk
from viralclipper.pipeline.select import select_clips
from viralclipper.pipeline.transcript import Segment, Transcript, Word

FILLER = [
    "Okay, so let me go over the agenda for today.",
    "First we will look at the slides, and then we will talk about the schedule.",
    "The meeting room on the second floor is booked until three.",
    "Please remember to update the shared calendar before you leave.",
    "The printer is next to the kitchen, and the chargers are by the door.",
    "We also have a few notes about the parking arrangements for next week.",
]


def spoken(
    sentences: list[str], seconds_per_word: float | list[float] = 0.4, pause: float = 0.5
) -> Transcript:
    """A transcript with one segment per sentence and evenly timed words."""
    paces = (
        seconds_per_word
        if isinstance(seconds_per_word, list)
        else [seconds_per_word] * len(sentences)
    )
    segments, t = [], 0.3
    for text, per_word in zip(sentences, paces, strict=True):
        words = []
        for token in text.split():
            words.append(Word(start=t, end=t + per_word * 0.9, text=f" {token}"))
            t += per_word
        segments.append(
            Segment(start=words[0].start, end=words[-1].end, text=f" {text}", words=words)
        )
        t += pause
    return Transcript(duration=t + 0.5, segments=segments)


def criteria() -> list[Criterion]:
    return load_criteria(CRITERIA_DIR)


def overlap(a_start: float, a_end: float, b_start: float, b_end: float) -> float:
    return max(0.0, min(a_end, b_end) - max(a_start, b_start))


def planted_in(clip: Moment, talk: SampleTalk) -> Passage | None:
    """The planted passage the clip holds most of, if it holds more than half of one."""
    best = max(talk.planted, key=lambda p: overlap(clip.start, clip.end, p.start, p.end))
    held = overlap(clip.start, clip.end, best.start, best.end) / (best.end - best.start)
    return best if held > 0.5 else None


def reads_as_sentences(text: str) -> bool:
    """Whole sentences a person would write, not a list of matched keywords: each starts with a
    capital and ends with a full stop (or the end of a quote), no semicolon-separated lists, no
    bare keyword lists in parentheses."""
    sentences = re.split(r"(?<=[.!?”])\s+(?=[A-Z])", text.strip())
    return (
        len(sentences) >= 2
        and all(s[0].isupper() and s.endswith((".", "!", "?", "”", "”.")) for s in sentences)
        and ";" not in text
        and not re.search(r"\('[^']+'(, '[^']+')*\)", text)
        and all(len(s.split()) >= 4 for s in sentences)
    )


def test_the_reasoning_reads_as_sentences_for_every_kind_of_evidence():
    custom = Criterion.parse("money", "Money\nTalk about money.\n\n- lost\n- million\n")
    planted = [
        "Here's the truth about money.",
        "I lost $2 million in 3 years!",
        "Everyone told me it was the best idea ever.",
    ]
    transcript = spoken(FILLER + planted + FILLER)
    best = analyze_offline(transcript, [custom], min_seconds=5, max_seconds=12)[0]
    assert reads_as_sentences(best.reasoning), best.reasoning
    assert best.reasoning.startswith(
        "It opens with a hook that promises something worth hearing: “Here's the truth about "
        "money.”"
    )
    assert "It fits your criterion “Money”: the speaker says “lost” and “million”." in (
        best.reasoning
    )
    calm = analyze_offline(spoken(FILLER), [custom], min_seconds=5, max_seconds=12)[-1]
    assert calm.reasoning.startswith("Nothing in it stands out")


def only(transcript: Transcript, keep) -> Transcript:
    """The words of `transcript` for which keep(word) holds, as one segment."""
    words = [w for w in transcript.words if keep(w)]
    text = "".join(w.text for w in words)
    return Transcript(
        duration=transcript.duration,
        segments=[Segment(start=words[0].start, end=words[-1].end, text=text, words=words)],
    )


def in_planted(word: Word, talk: SampleTalk) -> bool:
    middle = (word.start + word.end) / 2
    return any(p.start - 0.3 <= middle <= p.end + 0.3 for p in talk.planted)


def test_a_planted_passage_of_the_real_talk_ranks_in_the_top_three(
    sample_talk: SampleTalk, sample_transcript: Transcript, sample_audio: Path
):
    moments = analyze_offline(sample_transcript, criteria(), audio_path=sample_audio)
    clips = select_clips(moments, sample_transcript)
    assert clips
    scores = [c.score for c in clips]
    assert scores == sorted(scores, reverse=True)
    assert any(planted_in(c, sample_talk) for c in clips[:3])
    best = clips[0]
    assert planted_in(best, sample_talk), best
    # the reasoning says, in sentences, what fired, quoting the evidence
    assert best.reasoning.startswith("It opens with a ")
    assert "bold claim" in best.reasoning
    assert "It fits your criteri" in best.reasoning
    assert reads_as_sentences(best.reasoning)
    assert best.criteria and set(best.criteria) <= {c.key for c in criteria()}
    assert 0 < len(best.title) <= 70 and not best.title.endswith((".", ",", ";", ":"))
    text = sample_transcript.text_between(best.start, best.end)
    assert best.quote in text and best.hook in text
    assert text.startswith(best.hook)


def test_every_planted_passage_scores_above_the_filler_of_the_real_talk(
    sample_talk: SampleTalk, sample_transcript: Transcript
):
    filler = only(sample_transcript, lambda w: not in_planted(w, sample_talk))
    planted = only(sample_transcript, lambda w: in_planted(w, sample_talk))
    filler_best = analyze_offline(filler, criteria(), min_seconds=5)[0]
    planted_moments = analyze_offline(planted, criteria(), min_seconds=5)
    assert len(planted_moments) >= len(sample_talk.planted)
    weakest_planted = planted_moments[len(sample_talk.planted) - 1]
    assert weakest_planted.score > filler_best.score + 20
    assert "It opens with" not in filler_best.reasoning and not filler_best.criteria


def test_a_louder_passage_fires_the_loudness_signal(
    sample_talk: SampleTalk, sample_transcript: Transcript, sample_audio: Path, tmp_path: Path
):
    loud = sample_talk.planted[-1]
    louder_wav = amplified(sample_audio, loud.start, loud.end, tmp_path / "louder.wav")
    moments = analyze_offline(sample_transcript, criteria(), audio_path=louder_wav)
    by_passage = {planted_in(m, sample_talk): m for m in moments}
    assert "dB louder than in the rest of the talk" in by_passage[loud].reasoning
    quiet = next(p for p in sample_talk.planted if p != loud)
    assert "louder" not in by_passage[quiet].reasoning
    plain = analyze_offline(sample_transcript, criteria(), audio_path=sample_audio)
    plain_loud = next(m for m in plain if planted_in(m, sample_talk) == loud)
    assert by_passage[loud].score > plain_loud.score


def amplified(wav_path: Path, start: float, end: float, out: Path) -> Path:
    """A copy of a 16-bit mono WAV with [start, end] twice as loud (+6 dB)."""
    with wave.open(str(wav_path)) as src:
        params = src.getparams()
        samples = np.frombuffer(src.readframes(src.getnframes()), dtype="<i2").astype(np.int32)
    a, b = int(start * params.framerate), int(end * params.framerate)
    samples[a:b] *= 2
    with wave.open(str(out), "wb") as dst:
        dst.setparams(params)
        dst.writeframes(np.clip(samples, -32768, 32767).astype("<i2").tobytes())
    return out


def test_a_fast_stretch_fires_the_pace_signal():
    sentences = FILLER * 3
    paces = [0.4] * len(sentences)
    paces[7:10] = [0.22] * 3  # nearly twice as fast
    transcript = spoken(sentences, paces)
    moments = analyze_offline(transcript, [], min_seconds=8, max_seconds=12)
    fast_start = transcript.sentences[7].start
    fast = next(m for m in moments if m.start == pytest.approx(fast_start))
    assert "times as fast as usual" in fast.reasoning
    assert fast == moments[0]
    assert all("as fast" not in m.reasoning for m in moments if m.end <= fast_start)


def test_phrases_match_whatever_the_case_punctuation_or_ending():
    custom = Criterion.parse("punchlines", "Punchlines\nJokes.\n\n- can't make this up\n- laugh\n")
    transcript = spoken(FILLER + ["You CAN’T make this up, everyone was LAUGHING!"] + FILLER)
    best = analyze_offline(transcript, [custom], min_seconds=5, max_seconds=15)[0]
    assert best.criteria == ["punchlines"]
    assert (
        "It fits your criterion “Punchlines”: the speaker says “can't make this up” and "
        "“laughing”." in best.reasoning
    )
    assert best.quote == "You CAN’T make this up, everyone was LAUGHING!"
    assert "The speaker exclaims once here." in best.reasoning


def test_the_phrase_finder_marks_the_words_the_analyzer_counts():
    custom = Criterion.parse("punchlines", "Punchlines\nJokes.\n\n- can't make this up\n- laugh\n")
    line = "You CAN’T  make this up, everyone was LAUGHING! Laughably? no: laughs-and-all"
    find = phrase_finder(custom.phrases)
    assert find is not None and phrase_finder([]) is None
    found = [line[start:end] for start, end in find(line)]
    assert found == ["CAN’T  make this up", "LAUGHING", "laughs"]  # "Laughably": 4 more letters
    counted = _lines(spoken([*FILLER, line]), [custom], longest=30)  # what the scoring counts
    assert [len(find(ln.text)) for ln in counted] == [len(ln.hits[0]) for ln in counted]
    assert sum(len(ln.hits[0]) for ln in counted) == 3


def test_hook_claims_and_numbers_outscore_filler_with_their_evidence():
    planted = [
        "Why do ninety percent of startups fail?",
        "Nobody tells you the truth: I lost $2 million in 3 years.",
    ]
    transcript = spoken(FILLER + planted + FILLER)
    best, *rest = analyze_offline(transcript, criteria(), min_seconds=5, max_seconds=12)
    assert best.hook == planted[0]
    assert best.reasoning.startswith(
        "It opens with a question viewers want answered: “Why do ninety percent of startups "
        "fail?” It makes a bold claim, backed by figures (ninety percent, $2 million and 3 "
        "years): “Nobody tells you the truth: I lost $2 million in 3 years.” It fits your "
        "criteria “Hot takes” (the speaker says “fail”), "
    )
    assert reads_as_sentences(best.reasoning)
    assert "hot_takes" in best.criteria and "viral_hooks" in best.criteria
    assert all(best.score > m.score + 30 for m in rest)


def test_windows_are_sentence_aligned_within_limits_and_do_not_overlap():
    transcript = spoken(FILLER * 6)
    moments = analyze_offline(transcript, criteria(), max_moments=5)
    starts = {s.start for s in transcript.sentences}
    ends = {s.end for s in transcript.sentences}
    assert len(moments) == 5
    for m in moments:
        assert m.start in starts and m.end in ends
        assert 15 <= m.duration <= 60
    ordered = sorted(moments, key=lambda m: m.start)
    assert all(a.end <= b.start for a, b in zip(ordered, ordered[1:], strict=False))


def test_a_transcript_without_punctuation_is_cut_into_pieces_and_titles_are_trimmed():
    text = " ".join(["we talked about the weather and the traffic and the lunch menu"] * 20)
    transcript = spoken([text], 0.3)  # one 48 s run-on sentence
    moments = analyze_offline(transcript, [], max_seconds=30)
    assert moments and all(m.duration <= 30 for m in moments)
    assert all(len(m.title) <= 70 and m.title.endswith("…") for m in moments)


def test_progress_is_reported_per_chunk_and_cancellation_stops_it():
    transcript = spoken(FILLER * 40)  # a few thousand windows
    reports: list[tuple[float, str]] = []
    analyze_offline(transcript, criteria(), Reporter(lambda f, m: reports.append((f, m))))
    fractions = [f for f, _ in reports]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert sum("Scoring windows" in m for _, m in reports) > 2
    with pytest.raises(Cancelled):
        analyze_offline(transcript, criteria(), Reporter(should_cancel=lambda: True))
