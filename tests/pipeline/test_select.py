"""The validate step on hand-made transcripts whose every word time is known."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from viralclipper.pipeline.moment import Moment
from viralclipper.pipeline.select import Envelope, select_clips
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


def test_a_mid_sentence_start_and_end_move_to_the_nearest_sentence_start_and_end():
    transcript = talk()
    start = word_start(2, 11) + 0.2  # inside word 11, 5.7 s after its sentence's start
    end = word_start(4, 9) + 0.2  # inside word 9 of sentence 4
    [clip] = select_clips([moment(start, end)], transcript)
    assert clip.start == pytest.approx(sentence_start(3) - 0.15)  # 4.1 s later: the nearest
    assert clip.end == pytest.approx(sentence_end(4) + 0.15)
    assert_whole_words(clip, transcript)


def test_words_are_the_fallback_when_no_sentence_end_fits_the_maximum():
    transcript = talk()
    [clip] = select_clips(
        [moment(word_start(2, 0), word_start(2, 18))], transcript, min_seconds=5, max_seconds=8
    )
    assert sentence_start(2) - 0.15 <= clip.start <= sentence_start(2)
    assert clip.duration <= 8
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
    inner = moment(words[40].start + 0.1, words[79].end - 0.1)  # sentences 2 and 3
    [clip] = select_clips([inner], transcript, min_seconds=1)
    assert (clip.start, clip.end) == (words[40].start, words[79].end)  # no room to pad
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


RATE = 16000


def speech_wav(path: Path, spans: list[tuple[float, float]], duration: float) -> Path:
    """A WAV with a loud tone (with its own quiet-ish wobble) where each span is, silence else."""
    audio = np.zeros(int(duration * RATE), dtype=np.float32)
    for a, b in spans:
        t = np.arange(int(a * RATE), int(b * RATE))
        audio[t] = 0.5 * np.sin(2 * np.pi * 220 * t / RATE) * (0.6 + 0.4 * np.sin(t / 400))
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes((audio * 32767).astype(np.int16).tobytes())
    return path


def silent_at(spans: list[tuple[float, float]], a: float, b: float) -> bool:
    return not any(s < b and a < e for s, e in spans)


@pytest.mark.parametrize("shift", [-0.2, 0.15])
def test_with_the_audio_cuts_land_in_its_real_silence(tmp_path, shift):
    """Whisper's word times are off (`shift`): the cuts still fall in the silence the audio has,
    with at least 80 ms of it in the clip, and swallow no neighbouring word."""
    transcript = talk(pause=0.35)
    real = [(w.start + shift, w.end + shift) for w in transcript.words]
    wav = speech_wav(tmp_path / "talk.wav", real, transcript.duration + 1)
    envelope = Envelope.of_wav(wav)
    moments = [moment(sentence_start(k) + 1.0, sentence_end(k + 1) - 1.0) for k in (1, 5, 8)]

    clips = select_clips(moments, transcript, envelope=envelope)

    assert len(clips) == 3
    for clip in clips:
        assert silent_at(real, clip.start, clip.start + 0.08), clip
        assert silent_at(real, clip.end - 0.08, clip.end), clip
        first = next(s for s in real if s[1] > clip.start)
        last = next(s for s in reversed(real) if s[0] < clip.end)
        assert clip.start <= first[0] and last[1] <= clip.end  # whole words in
        assert first[0] - clip.start <= 0.15 + 0.011  # a small pad, not the neighbour's words
        assert clip.end - last[1] <= 0.15 + 0.011


def test_on_a_generated_talk_every_clip_starts_and_ends_in_silence(
    sample_audio: Path, sample_transcript: Transcript
):
    """The espeak talk as Whisper heard it: moments every few seconds, the cuts checked on the
    real audio (the first and last 80 ms of every clip are silent)."""
    with wave.open(str(sample_audio)) as w:
        rate = w.getframerate()
        audio = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16) / 32768.0
    loud = np.percentile(np.abs(audio), 99)
    moments = [moment(t, t + 20.0) for t in np.arange(0.0, sample_transcript.duration - 20, 4.3)]

    clips = [
        clip
        for m in moments
        for clip in select_clips([m], sample_transcript, envelope=Envelope.of_wav(sample_audio))
    ]

    assert len(clips) >= 8
    for clip in clips:
        for a in (clip.start, clip.end - 0.08):
            window = audio[int(a * rate) : int((a + 0.08) * rate)]
            if clip.start > 0.08 or a != clip.start:  # a clip at 0 s starts with the talk
                assert np.abs(window).max() < loud / 20, (clip.start, clip.end, a)
