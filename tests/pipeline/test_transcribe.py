import re
from difflib import SequenceMatcher
from pathlib import Path

import pytest

from viralclipper.pipeline.progress import Cancelled, PipelineError, Reporter
from viralclipper.pipeline.sample import SampleTalk
from viralclipper.pipeline.transcribe import progress_batch_size, resolve_device, transcribe
from viralclipper.pipeline.transcript import SENTENCE_END, Transcript


def words_of(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def likeness(heard: str, said: str) -> float:
    """How much of what was said was heard, word for word, in order (0 to 1): Whisper's exact
    wording and punctuation vary with the model and the machine."""
    said_words = words_of(said)
    matcher = SequenceMatcher(None, words_of(heard), said_words, autojunk=False)
    return sum(block.size for block in matcher.get_matching_blocks()) / len(said_words)


def test_transcript_has_the_spoken_words_with_timestamps(
    sample_transcript: Transcript, sample_talk: SampleTalk
):
    for passage in sample_talk.planted:
        assert likeness(sample_transcript.text, passage.text) > 0.8, passage.text
    words = sample_transcript.words
    assert len(words) > 120
    assert all(w.start <= w.end for w in words)
    assert all(a.start <= b.start for a, b in zip(words, words[1:], strict=False))
    assert words[-1].end <= sample_talk.duration + 0.5
    assert sample_transcript.language == "en"


def test_words_line_up_with_the_planted_passages(
    sample_transcript: Transcript, sample_talk: SampleTalk
):
    for passage in sample_talk.planted:
        first = re.split(r"(?<=[.?!]) ", passage.text)[0]
        heard = max(sample_transcript.sentences, key=lambda s: likeness(s.text, first))
        assert passage.start - 0.5 <= heard.start <= passage.start + 3, (first, heard)


def test_sentences_split_on_punctuation(sample_transcript: Transcript):
    sentences = sample_transcript.sentences
    assert len(sentences) > 10
    for sentence in sentences[:-1]:  # each ends at its first sentence-ending word
        ends = [bool(SENTENCE_END.search(w.text.strip())) for w in sentence.words]
        assert ends[-1] and not any(ends[:-1]), sentence.text


def test_second_run_is_served_from_cache(
    sample_audio: Path, media_dir: Path, sample_transcript: Transcript
):
    reports: list[tuple[float, str]] = []
    again = transcribe(
        sample_audio, media_dir / "transcripts", Reporter(lambda f, m: reports.append((f, m)))
    )
    assert again == sample_transcript
    assert reports == [(1.0, "transcript reused from cache")]


def test_progress_rises_to_one_and_cancel_stops(sample_audio: Path, tmp_path: Path):
    reports: list[float] = []
    transcript = transcribe(
        sample_audio, tmp_path, Reporter(lambda f, m: reports.append(f)), batched=False
    )
    assert reports == sorted(reports) and reports[-1] == 1.0 and len(reports) > 5
    assert transcript.words

    calls = []

    def cancel_after_two() -> bool:
        calls.append(1)
        return len(calls) > 3

    with pytest.raises(Cancelled):
        transcribe(
            sample_audio,
            tmp_path / "other",
            Reporter(should_cancel=cancel_after_two),
            batched=False,
        )
    assert not list((tmp_path / "other").glob("*.json"))


def test_a_file_without_audio_is_a_clear_error(tmp_path: Path):
    bogus = tmp_path / "notes.mp4"
    bogus.write_text("not a video")
    with pytest.raises(PipelineError, match="not a readable video"):
        transcribe(bogus, tmp_path)


def test_auto_device_on_this_machine_is_cpu_int8():
    assert resolve_device("auto", "auto") == ("cpu", "int8")
    assert resolve_device("cuda", "auto") == ("cuda", "float16")


def test_a_cancel_is_seen_inside_a_long_batch(sample_audio: Path, tmp_path: Path):
    """The batched pipeline hands back the whole 64 s talk as one batch; a cancel must not wait
    for it to finish."""
    messages: list[str] = []
    started = []

    def cancel_once_running() -> bool:
        started.append(1)
        return len(started) > 2

    with pytest.raises(Cancelled):
        transcribe(
            sample_audio,
            tmp_path,
            Reporter(lambda f, m: messages.append(m), cancel_once_running),
            batched=True,
        )
    assert not any(m.startswith("transcribed") for m in messages)


def test_batched_progress_moves_during_the_transcription(sample_audio: Path, tmp_path: Path):
    """The batched pipeline yields a batch's segments only when the whole batch is decoded: the
    64 s talk must not sit at 0 while it is decoded and then jump to the end. While the model
    works, the page hears where it is: those reports must stand at several values."""
    reports: list[tuple[float, str]] = []
    transcribe(
        sample_audio,
        tmp_path,
        Reporter(lambda f, m: reports.append((f, m))),
        batched=True,
    )
    fractions = [fraction for fraction, _ in reports]
    waiting = {round(f, 3) for f, m in reports if m.startswith("transcribing:")}
    assert len(waiting - {0.0}) >= 2, reports
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


def test_batch_size_shrinks_for_short_audio_only():
    assert progress_batch_size(64.0, 8) == 1
    assert progress_batch_size(10 * 60.0, 8) == 5
    assert progress_batch_size(2 * 3600.0, 8) == 8
    assert progress_batch_size(0.0, 8) == 1
