"""The validate step on hand-made transcripts whose every word time is known."""

from __future__ import annotations

import pytest

from viralclipper.pipeline.moment import Moment
from viralclipper.pipeline.select import select_clips
from viralclipper.pipeline.transcript import Segment, Transcript, Word

WORD, GAP, PAUSE, FIRST = 0.4, 0.1, 0.6, 0.5
WORDS_PER_SENTENCE = 20
PERIOD = WORDS_PER_SENTENCE * (WORD + GAP) - GAP + PAUSE  # 10.5 s from sentence to sentence
LENGTH = PERIOD - PAUSE  # 9.9 s of speech per sentence


def talk(
    sentences: int = 12,
    *,
    word: float = WORD,
    gap: float = GAP,
    pause: float = PAUSE,
    first: float = FIRST,
    tail: float = 1.0,
) -> Transcript:
    """`sentences` sentences of 20 words, every word `word` s long, `gap` s apart."""
    segments, t = [], first
    for s in range(sentences):
        words = []
        for m in range(WORDS_PER_SENTENCE):
            end_mark = "." if m == WORDS_PER_SENTENCE - 1 else ""
            words.append(Word(start=t, end=t + word, text=f" w{s}x{m}{end_mark}"))
            t += word + (gap if m < WORDS_PER_SENTENCE - 1 else pause)
        segments.append(
            Segment(
                start=words[0].start,
                end=words[-1].end,
                text="".join(w.text for w in words),
                words=words,
            )
        )
    return Transcript(duration=segments[-1].end + tail, segments=segments)


def sentence_start(k: int) -> float:
    return FIRST + k * PERIOD


def sentence_end(k: int) -> float:
    return sentence_start(k) + LENGTH


def word_start(k: int, m: int) -> float:
    return sentence_start(k) + m * (WORD + GAP)


def moment(start: float, end: float, score: float = 50.0, title: str = "m") -> Moment:
    return Moment(start=start, end=end, score=score, title=title)


def assert_whole_words(clip: Moment, transcript: Transcript) -> None:
    for w in transcript.words:
        assert not w.start < clip.start < w.end, f"{clip.start} cuts {w.text}"
        assert not w.start < clip.end < w.end, f"{clip.end} cuts {w.text}"


def test_a_mid_word_start_and_end_snap_to_whole_words_when_no_sentence_is_in_reach():
    transcript = talk()
    start = word_start(2, 11) + 0.2  # inside word 11, 5.7 s after its sentence's start
    end = word_start(4, 9) + 0.2  # inside word 9 of sentence 4, 4.7 s from any sentence end
    [clip] = select_clips([moment(start, end)], transcript)
    # the whole first and last word are in, plus half the 0.1 s gap around them
    assert clip.start == pytest.approx(word_start(2, 11) - GAP / 2)
    assert clip.end == pytest.approx(word_start(4, 9) + WORD + GAP / 2)
    assert_whole_words(clip, transcript)


def test_a_sentence_start_and_end_within_reach_are_preferred():
    transcript = talk()
    start = word_start(2, 4) + 0.2  # 2.2 s into sentence 2
    end = word_start(4, 16)  # 2.0 s before sentence 4 ends
    [clip] = select_clips([moment(start, end)], transcript)
    assert clip.start == pytest.approx(sentence_start(2) - 0.15)
    assert clip.end == pytest.approx(sentence_end(4) + 0.15)
    assert_whole_words(clip, transcript)


def test_a_too_short_moment_is_extended_by_the_next_sentence():
    transcript = talk()
    [clip] = select_clips([moment(sentence_start(5), sentence_end(5))], transcript)
    assert clip.start == pytest.approx(sentence_start(5) - 0.15)
    assert clip.end == pytest.approx(sentence_end(6) + 0.15)
    assert clip.duration >= 15


def test_a_too_short_moment_at_the_end_of_the_talk_grows_backwards():
    transcript = talk()
    [clip] = select_clips([moment(sentence_start(11), sentence_end(11))], transcript)
    assert clip.start == pytest.approx(sentence_start(10) - 0.15)
    assert clip.end == pytest.approx(sentence_end(11) + 0.15)


def test_a_too_long_moment_is_trimmed_back_to_a_sentence_end():
    transcript = talk()
    [clip] = select_clips([moment(0.0, 120.0)], transcript, max_seconds=25)
    assert clip.start == pytest.approx(FIRST - 0.15)
    assert clip.end == pytest.approx(sentence_end(1) + 0.15)
    assert 15 <= clip.duration <= 25


def test_a_long_moment_without_a_fitting_sentence_end_is_trimmed_to_a_word_end():
    transcript = talk()
    [clip] = select_clips([moment(0.0, 120.0)], transcript, min_seconds=12, max_seconds=15)
    assert clip.duration == pytest.approx(15)  # the padding gives way to the maximum
    assert clip.end == pytest.approx(word_start(1, 8) + WORD)
    assert_whole_words(clip, transcript)


def test_a_moment_that_cannot_reach_the_minimum_is_dropped():
    transcript = talk(sentences=2)  # 20.4 s of speech in all
    assert select_clips([moment(0.0, 10.0)], transcript, min_seconds=30) == []
    assert select_clips([moment(300.0, 320.0)], transcript) == []  # after the last word


def test_moments_below_the_minimum_score_are_dropped():
    transcript = talk()
    moments = [
        moment(sentence_start(0), sentence_end(1), score=30),
        moment(sentence_start(4), sentence_end(5), score=70),
    ]
    assert [c.score for c in select_clips(moments, transcript, min_score=50)] == [70]


def test_overlapping_clips_keep_the_better_score():
    transcript = talk()
    moments = [
        moment(sentence_start(0), sentence_end(1), score=40, title="weaker"),
        moment(sentence_start(1), sentence_end(2), score=80, title="better"),
    ]
    assert [c.title for c in select_clips(moments, transcript)] == ["better"]


def test_neighbouring_clips_both_stay_and_their_padding_never_overlaps():
    transcript = talk(pause=0.2)  # a short pause: the padding may take only half of it
    s = transcript.sentences
    moments = [moment(s[0].start, s[1].end, score=40), moment(s[2].start, s[3].end, score=80)]
    later, earlier = select_clips(moments, transcript)
    assert earlier.end <= later.start
    assert earlier.end == pytest.approx(s[1].end + 0.1)
    assert later.start == pytest.approx(s[2].start - 0.1)


def test_the_top_clips_are_kept_best_first():
    transcript = talk()
    scores = [40, 90, 60, 75, 10]
    moments = [
        moment(sentence_start(2 * i), sentence_end(2 * i + 1), score=s)
        for i, s in enumerate(scores)
    ]
    clips = select_clips(moments, transcript, max_clips=3)
    assert [c.score for c in clips] == [90, 75, 60]


def test_padding_never_reaches_into_a_neighbouring_word_and_stays_within_the_media():
    transcript = talk(gap=0.0, pause=0.0, first=0.05, tail=0.05)  # words touch each other
    words = transcript.words
    inner = moment(words[49].start + 0.1, words[89].start + 0.1)  # far from sentence boundaries
    [clip] = select_clips([inner], transcript, min_seconds=1)
    assert (clip.start, clip.end) == (words[49].start, words[89].end)  # no room to pad
    [whole] = select_clips([moment(0.0, transcript.duration)], transcript, max_seconds=200)
    assert whole.start == 0.0
    assert whole.end == pytest.approx(transcript.duration)


def test_a_transcript_without_word_times_snaps_to_its_segments():
    segments = [
        Segment(start=10.0 * i + 1, end=10.0 * i + 9, text=f"Sentence {i}.") for i in range(6)
    ]
    transcript = Transcript(duration=60.0, segments=segments)
    [clip] = select_clips([moment(14.0, 35.0)], transcript)
    assert clip.start == pytest.approx(11.0 - 0.15)
    assert clip.end == pytest.approx(39.0 + 0.15)
