"""The analyzer dispatcher: offline without an LLM, the LLM when configured, clear errors; an
LLM outage ranked offline with a notice (unless LLM_FALLBACK=false)."""

from __future__ import annotations

import pytest

from tests.pipeline.fake_llm import FakeLLM, answer_from_prompt
from tests.pipeline.test_offline_analyzer import FILLER, spoken
from viralclipper.config import CRITERIA_DIR, get_settings
from viralclipper.pipeline.analyze import (
    LLM_UNAVAILABLE,
    AnalyzerNotConfiguredError,
    NoSpeechError,
    analyze,
)
from viralclipper.pipeline.criteria import load_criteria
from viralclipper.pipeline.llm_analyzer import LLMError
from viralclipper.pipeline.process import stage_analyze
from viralclipper.pipeline.progress import PipelineError, Reporter
from viralclipper.pipeline.transcript import Segment, Transcript

STRONG = "Why do ninety percent of startups fail? Nobody tells you the truth, that is insane!"


def talk() -> Transcript:
    return spoken(FILLER + [STRONG] + FILLER)


def test_auto_without_an_llm_runs_the_offline_analyzer_with_enabled_criteria_only():
    criteria = load_criteria(CRITERIA_DIR)
    for c in criteria:
        c.enabled = c.key != "hot_takes"
    moments = analyze(talk(), criteria, min_seconds=5, max_seconds=15)
    best = moments[0]
    assert best.hook.startswith("Why do ninety percent")
    assert "viral_hooks" in best.criteria
    assert "hot_takes" not in {k for m in moments for k in m.criteria}
    assert "Hot takes" not in best.reasoning


def test_llm_without_configuration_says_which_variables_to_set():
    with pytest.raises(AnalyzerNotConfiguredError) as error:
        analyze(talk(), load_criteria(CRITERIA_DIR), analyzer="llm")
    message = str(error.value)
    assert "OPENAI_API_KEY" in message and "OPENAI_BASE_URL" in message
    assert isinstance(error.value, PipelineError)


def test_an_empty_transcript_is_no_speech_found():
    silent = Transcript(duration=30.0, segments=[Segment(start=0.0, end=30.0, text=" ")])
    for analyzer in ("auto", "offline", "llm"):
        with pytest.raises(NoSpeechError, match="(?i)no speech found"):
            analyze(silent, load_criteria(CRITERIA_DIR), analyzer=analyzer)


def test_auto_with_an_llm_configured_asks_it_with_the_enabled_criteria_only():
    criteria = load_criteria(CRITERIA_DIR)
    for c in criteria:
        c.enabled = c.key in {"humor", "storytelling"}
    with FakeLLM(default=answer_from_prompt) as llm:
        moments = analyze(talk(), criteria, settings=llm.settings(), min_seconds=5, max_seconds=15)
    assert llm.requests, "the LLM was not asked"
    prompt = llm.user_messages[0]
    assert "## humor" in prompt and "## storytelling" in prompt
    assert "## viral_hooks" not in prompt and "## hot_takes" not in prompt
    assert moments and all(m.title.startswith("Moment ") for m in moments)


def test_offline_is_used_when_asked_even_with_an_llm_configured():
    with FakeLLM() as llm:
        moments = analyze(
            talk(),
            load_criteria(CRITERIA_DIR),
            analyzer="offline",
            settings=llm.settings(),
            min_seconds=5,
            max_seconds=15,
        )
    assert llm.requests == []
    assert moments[0].hook.startswith("Why do")


def test_without_settings_the_environment_decides(monkeypatch: pytest.MonkeyPatch):
    with FakeLLM(default=answer_from_prompt) as llm:
        monkeypatch.setenv("OPENAI_BASE_URL", llm.url)
        get_settings.cache_clear()
        analyze(talk(), load_criteria(CRITERIA_DIR), min_seconds=5, max_seconds=15)
    assert len(llm.requests) >= 1


def _outage(llm: FakeLLM) -> None:
    for _ in range(3):  # the request and the client's two retries
        llm.fail(503, "overloaded", error_type="server_error", headers={"retry-after-ms": "10"})


def test_an_llm_outage_is_ranked_offline_and_says_so():
    options = get_settings().clip_defaults().updated(analyzer="llm")
    with FakeLLM() as llm:
        _outage(llm)
        analysis = stage_analyze(talk(), None, Reporter(), options, llm.settings())
    assert len(llm.requests) == 3
    assert (analysis.analyzer, analysis.notice) == ("offline", LLM_UNAVAILABLE)
    assert "503" in (analysis.reason or "") and analysis.moments


def test_without_the_fallback_an_llm_outage_fails_the_analysis():
    options = get_settings().clip_defaults().updated(analyzer="llm")
    with FakeLLM() as llm:
        _outage(llm)
        with pytest.raises(LLMError, match="503"):
            stage_analyze(talk(), None, Reporter(), options, llm.settings(llm_fallback=False))


def test_an_unconfigured_llm_is_ranked_offline_with_the_notice():
    options = get_settings().clip_defaults().updated(analyzer="llm")
    analysis = stage_analyze(talk(), None, Reporter(), options)
    assert (analysis.analyzer, analysis.notice) == ("offline", LLM_UNAVAILABLE)
    assert "OPENAI_API_KEY" in (analysis.reason or "")
