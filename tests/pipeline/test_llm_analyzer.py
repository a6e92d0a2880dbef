"""The LLM analyzer through the real openai client against a fake OpenAI-compatible server."""

from __future__ import annotations

import itertools
import json
import socket
from typing import Any

import pytest

from tests.pipeline.fake_llm import (
    LINE,
    FakeLLM,
    Reply,
    answer,
    answer_from_prompt,
    fake_llm_fixture,  # noqa: F401 - provides the fake_llm fixture
    moment,
    plausible_answer_for,
)
from viralclipper.pipeline.criteria import Criterion
from viralclipper.pipeline.llm_analyzer import LLMError, analyze_with_llm
from viralclipper.pipeline.progress import Reporter
from viralclipper.pipeline.transcript import Segment, Transcript, Word

SENTENCES = [
    "Welcome back to the channel, today we talk about money.",
    "Most people never check where their salary goes each month.",
    "Here is the one habit that changed everything for me.",
    "I wrote down every single expense for thirty days straight.",
    "By the end of the month I had found four hundred dollars of waste.",
    "That is almost five thousand dollars a year, gone without a trace.",
    "Nobody tells you this, but subscriptions are designed to be forgotten.",
    "So cancel the ones you did not use this week.",
    "Then move the savings to a separate account on payday.",
    "Thanks for watching, and see you next time.",
]

CRITERIA = [
    Criterion(
        key="actionable_value",
        title="Actionable value",
        text="Actionable value\nA concrete tip the viewer can apply today.\n- here is how",
    ),
    Criterion(
        key="hot_takes",
        title="Hot takes",
        text="Hot takes\nA bold claim that goes against common wisdom.\n- nobody tells you",
    ),
    Criterion(key="humor", title="Humor", text="Humor\nJokes and laughter.", enabled=False),
]


def make_transcript(
    sentences: list[str], *, word_seconds: float = 0.5, pause: float = 0.5, tail: float = 1.0
) -> Transcript:
    """One segment per sentence, words evenly spaced, Whisper-style leading spaces."""
    segments, clock = [], 0.0
    for sentence in sentences:
        words = []
        for token in sentence.split():
            words.append(Word(start=clock, end=clock + 0.8 * word_seconds, text=f" {token}"))
            clock += word_seconds
        segments.append(
            Segment(start=words[0].start, end=words[-1].end, text=f" {sentence}", words=words)
        )
        clock += pause
    return Transcript(duration=round(clock + tail, 2), segments=segments)


@pytest.fixture
def transcript() -> Transcript:
    return make_transcript(SENTENCES)


@pytest.fixture
def long_transcript() -> Transcript:
    """About 11 minutes: several windows at LLM_CONTEXT_CHARS=6000."""
    return make_transcript(numbered_sentences(120))


def numbered_sentences(count: int) -> list[str]:
    words = ["apples", "rivers", "engines", "violins", "glaciers", "markets", "comets", "tigers"]
    return [
        f"Point {i} is about {words[i % len(words)]} and why chapter {i} matters."
        for i in range(count)
    ]


def span(transcript: Transcript, first: int, last: int | None = None) -> tuple[float, float]:
    """Start of sentence `first` and end of sentence `last` (default: the same one)."""
    sentences = transcript.sentences
    return sentences[first].start, sentences[first if last is None else last].end


def test_good_answer_becomes_moments(fake_llm: FakeLLM, transcript: Transcript):
    start, end = span(transcript, 2, 5)
    fake_llm.reply(
        answer(
            {
                "start": start,
                "end": end,
                "score": 130,
                "title": "The habit that saved $5,000",
                "hook": SENTENCES[2],
                "reasoning": "A concrete habit with a number.",
                "criteria": ["actionable_value", "humor", "made_up", "Hot takes"],
                "quote": SENTENCES[4],
            }
        )
    )

    moments = analyze_with_llm(
        transcript,
        CRITERIA,
        min_seconds=10,
        max_seconds=40,
        max_moments=5,
        settings=fake_llm.settings(),
    )

    assert len(moments) == 1
    found = moments[0]
    assert (found.start, found.end) == (start, end)
    assert found.score == 100
    assert found.title == "The habit that saved $5,000"
    assert found.hook == SENTENCES[2]
    assert found.reasoning == "A concrete habit with a number."
    assert found.criteria == ["actionable_value", "hot_takes"]
    assert found.quote == SENTENCES[4]

    [request] = fake_llm.requests
    assert request["model"] == "fake-model"
    assert request["response_format"]["type"] == "json_schema"
    assert request["response_format"]["json_schema"]["strict"] is True
    system, user = request["messages"]
    assert system["role"] == "system"
    assert "invent nothing" in system["content"]
    assert "timestamps" in system["content"]
    first = transcript.sentences[0]
    assert f"[{first.start:.1f}-{first.end:.1f}] {SENTENCES[0]}" in user["content"]
    assert all(sentence in user["content"] for sentence in SENTENCES)
    assert CRITERIA[0].text in user["content"] and CRITERIA[1].text in user["content"]
    assert "## actionable_value" in user["content"] and "## hot_takes" in user["content"]
    assert "humor" not in user["content"].lower()
    assert "between 10 and 40 seconds" in user["content"]
    assert '"quote"' in user["content"]  # the schema


def test_invalid_json_then_valid_retries_once(fake_llm: FakeLLM, transcript: Transcript):
    start, end = span(transcript, 6, 8)
    fake_llm.reply(
        "Sure! Here are the moments: ...",
        answer(moment(start, end, SENTENCES[6], criteria=["hot_takes"])),
    )

    moments = analyze_with_llm(transcript, CRITERIA, settings=fake_llm.settings())

    assert [m.quote for m in moments] == [SENTENCES[6]]
    assert len(fake_llm.requests) == 2
    retry = fake_llm.requests[1]["messages"]
    assert retry[-2] == {"role": "assistant", "content": "Sure! Here are the moments: ..."}
    assert "not valid JSON" in retry[-1]["content"]


def test_schema_mismatch_twice_raises(fake_llm: FakeLLM, transcript: Transcript):
    fake_llm.reply("not json at all", json.dumps({"moments": [{"start": "soon", "end": 3}]}))

    with pytest.raises(LLMError, match="invalid output twice.*schema"):
        analyze_with_llm(transcript, CRITERIA, settings=fake_llm.settings())
    assert len(fake_llm.requests) == 2
    assert "not valid JSON" in fake_llm.user_messages[1]


def test_times_are_clamped_to_the_transcript_or_dropped(fake_llm: FakeLLM):
    transcript = make_transcript(SENTENCES, tail=20.0)  # 20 s of silence at the end
    last_word_end = transcript.words[-1].end
    fake_llm.reply(
        answer(
            moment(-7.0, span(transcript, 1)[1], SENTENCES[0], score=70),  # start clamped to 0
            moment(span(transcript, 8)[0], transcript.duration + 50, SENTENCES[9]),  # end clamped
            moment(
                transcript.duration + 10, transcript.duration + 40, "", score=95
            ),  # past the end
            moment(30.0, 20.0, SENTENCES[5], score=90),  # ends before it starts
            moment(last_word_end + 2, transcript.duration - 1, "", score=99),  # silence only
        )
    )

    moments = analyze_with_llm(transcript, CRITERIA, settings=fake_llm.settings())

    assert [(m.start, m.end) for m in moments] == [
        (span(transcript, 8)[0], transcript.duration),
        (0.0, span(transcript, 1)[1]),
    ]


def test_invented_quote_is_dropped_and_real_ones_kept(fake_llm: FakeLLM, transcript: Transcript):
    fake_llm.reply(
        answer(
            moment(*span(transcript, 3, 5), "I became a millionaire in thirty days.", score=95),
            # case, punctuation and one misheard word differ: still the transcript's sentence
            moment(
                *span(transcript, 6, 8),
                "NOBODY tells you this - but subscriptions are designed to be forgoten!",
                score=85,
            ),
            moment(*span(transcript, 0, 2), SENTENCES[1], score=60),
        )
    )

    moments = analyze_with_llm(transcript, CRITERIA, settings=fake_llm.settings())

    assert [m.score for m in moments] == [85, 60]
    assert (moments[0].start, moments[0].end) == span(transcript, 6, 8)


def test_quote_found_elsewhere_reanchors_the_moment(fake_llm: FakeLLM, transcript: Transcript):
    start, end = span(transcript, 0, 1)  # the quote is really spoken in sentence 7
    fake_llm.reply(answer(moment(start, end, SENTENCES[7])))

    [found] = analyze_with_llm(transcript, CRITERIA, settings=fake_llm.settings())

    assert found.start == transcript.sentences[7].start
    assert found.end == pytest.approx(min(transcript.duration, found.start + (end - start)))
    assert SENTENCES[7] in transcript.text_between(found.start, found.end)


def test_json_schema_rejected_falls_back_to_json_mode_for_the_whole_call(
    long_transcript: Transcript,
):
    with FakeLLM(reject_json_schema=True, default=answer_from_prompt) as llm:
        moments = analyze_with_llm(
            long_transcript, CRITERIA, settings=llm.settings(llm_context_chars=6000)
        )
        formats = [r["response_format"]["type"] for r in llm.requests]

    assert formats[:2] == ["json_schema", "json_object"]
    assert len(formats) >= 3 and set(formats[2:]) == {"json_object"}
    assert moments
    assert all("JSON" in r["messages"][-1]["content"] for r in llm.requests)


def test_long_transcript_is_split_into_overlapping_windows_and_merged(long_transcript: Transcript):
    sentences = long_transcript.sentences
    hot = {sentence.text for sentence in sentences[::4]}  # every window proposes these
    windows: list[list[tuple[float, float, str]]] = []

    def answer_for_window(request: dict[str, Any]) -> str:
        """A moment on every hot sentence in the window, scored higher in later windows."""
        prompt = request["messages"][-1]["content"]
        lines = [(float(a), float(b), text) for a, b, text in LINE.findall(prompt)]
        windows.append(lines)
        score = 50 + 10 * len(windows)
        return answer(*(moment(a, b, text, score=score) for a, b, text in lines if text in hot))

    messages: list[str] = []
    reporter = Reporter(lambda fraction, message: messages.append(message))
    with FakeLLM(default=answer_for_window) as llm:
        moments = analyze_with_llm(
            long_transcript,
            CRITERIA,
            reporter,
            max_moments=100,
            settings=llm.settings(llm_context_chars=6000),
        )

    assert len(windows) >= 3
    assert windows[0][0][0] == sentences[0].start
    assert windows[-1][-1][1] == sentences[-1].end
    for previous, current in itertools.pairwise(windows):
        assert 40 <= previous[-1][1] - current[0][0] <= 70  # about 60 s of overlap
    # a hot sentence in an overlap was proposed twice; it comes back once, with the later score
    proposed = [line for window in windows for line in window if line[2] in hot]
    assert len(proposed) > len(hot)
    assert sorted(m.quote for m in moments) == sorted(hot)
    last_window_of = {line[2]: index for index, w in enumerate(windows) for line in w}
    assert all(m.score == 50 + 10 * (last_window_of[m.quote] + 1) for m in moments)
    assert [m.score for m in moments] == sorted((m.score for m in moments), reverse=True)
    assert any(f"part 1 of {len(windows)}" in m for m in messages)
    assert any(f"part {len(windows)} of {len(windows)}" in m for m in messages)


def test_a_failed_window_is_reported_and_the_others_kept(long_transcript: Transcript):
    messages: list[str] = []
    reporter = Reporter(lambda fraction, message: messages.append(message))
    with FakeLLM(default=answer_from_prompt) as llm:
        llm.reply("garbage", "more garbage")
        moments = analyze_with_llm(
            long_transcript, CRITERIA, reporter, settings=llm.settings(llm_context_chars=6000)
        )
        second_window_start = float(LINE.findall(llm.user_messages[2])[0][0])

    assert moments
    assert any(m.startswith("Skipped part 1 of") for m in messages)
    assert all(m.start >= second_window_start for m in moments)


def test_every_window_failing_raises(fake_llm: FakeLLM, long_transcript: Transcript):
    fake_llm.default = lambda request: "{}"

    with pytest.raises(LLMError, match="invalid output twice for every part of the transcript"):
        analyze_with_llm(
            long_transcript, CRITERIA, settings=fake_llm.settings(llm_context_chars=6000)
        )


def test_server_down_names_the_url(transcript: Transcript, isolated_settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    settings = isolated_settings.model_copy(update={"openai_base_url": url})

    with pytest.raises(LLMError, match=f"Could not reach the LLM server at {url}"):
        analyze_with_llm(transcript, CRITERIA, settings=settings)


def test_bad_api_key(fake_llm: FakeLLM, transcript: Transcript):
    fake_llm.fail(401, "Incorrect API key provided: sk-wrong.", error_type="invalid_api_key")

    with pytest.raises(LLMError, match="rejected the API key; check OPENAI_API_KEY"):
        analyze_with_llm(transcript, CRITERIA, settings=fake_llm.settings())
    assert len(fake_llm.requests) == 1


def test_unknown_model_is_named(fake_llm: FakeLLM, transcript: Transcript):
    fake_llm.fail(404, "model 'llama9' not found, try pulling it first")

    with pytest.raises(LLMError, match="does not know the model 'llama9'"):
        analyze_with_llm(transcript, CRITERIA, settings=fake_llm.settings(openai_model="llama9"))


def test_rate_limit(fake_llm: FakeLLM, transcript: Transcript):
    for _ in range(3):  # the first try and the client's two retries
        fake_llm.fail(
            429,
            "You exceeded your current quota.",
            error_type="insufficient_quota",
            headers={"retry-after-ms": "10"},
        )

    with pytest.raises(LLMError, match="rate-limiting.*exceeded your current quota"):
        analyze_with_llm(transcript, CRITERIA, settings=fake_llm.settings())
    assert len(fake_llm.requests) == 3


def test_timeout(fake_llm: FakeLLM, transcript: Transcript):
    fake_llm.script(*[Reply(content=answer(), delay=1.0) for _ in range(3)])

    with pytest.raises(LLMError, match="did not answer within 0.2 seconds"):
        analyze_with_llm(
            transcript, CRITERIA, settings=fake_llm.settings(openai_timeout_seconds=0.2)
        )


def test_placeholder_key_when_only_a_base_url_is_set(fake_llm: FakeLLM, transcript: Transcript):
    fake_llm.reply(answer())

    assert (
        analyze_with_llm(transcript, CRITERIA, settings=fake_llm.settings(openai_api_key=None))
        == []
    )
    assert len(fake_llm.requests) == 1
    assert fake_llm.headers[0]["authorization"] == "Bearer not-needed"


def test_plausible_answer_helper_passes_the_checks(fake_llm: FakeLLM, transcript: Transcript):
    fake_llm.reply(plausible_answer_for(transcript, count=2, criteria=["hot_takes"]))

    moments = analyze_with_llm(transcript, CRITERIA, settings=fake_llm.settings())

    assert len(moments) == 2
    assert all(m.quote in SENTENCES and m.criteria == ["hot_takes"] for m in moments)
