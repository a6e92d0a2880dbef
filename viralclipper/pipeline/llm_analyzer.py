"""The LLM analyzer: asks any OpenAI-compatible endpoint for the best moments of a transcript.

The model sees the enabled criteria and the timestamped transcript (in overlapping windows when it
is too long for the context) and answers with JSON that pydantic validates. Nothing it says is
trusted: times are clamped to the transcript, moments over silence are dropped, and a quote that
is not in the transcript drops its moment.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any

import openai
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from viralclipper.config import Settings, get_settings, redact_url
from viralclipper.pipeline.criteria import Criterion
from viralclipper.pipeline.moment import Moment
from viralclipper.pipeline.progress import PipelineError, Reporter
from viralclipper.pipeline.transcript import Sentence, Transcript, Word

OPENAI_URL = "https://api.openai.com/v1"
PLACEHOLDER_API_KEY = "not-needed"
MAX_RETRIES = 2  # the client's own retries of connection errors, 429 and 5xx
WINDOW_OVERLAP_SECONDS = 60.0
MAX_LINE_SECONDS = 30.0
QUOTE_MARGIN_SECONDS = 5.0
QUOTE_MIN_RATIO = 0.85
DUPLICATE_OVERLAP = 0.5
MIN_TRANSCRIPT_BUDGET = 500

SYSTEM_PROMPT = (
    "You pick the moments of a video transcript that would make the best short clips for social "
    "media. Use only literal transcript content and invent nothing: no words, events or "
    "timestamps that are not in the transcript. Every start and end must be timestamps taken "
    "from the transcript lines (in seconds), and every quote must be copied word for word from "
    "the transcript between start and end. Reply with JSON only."
)


class LLMError(PipelineError):
    """The LLM could not be reached, refused the request, or kept answering invalid output."""


class InvalidOutputError(LLMError):
    """The model's reply was still invalid after one corrective retry (the message says how)."""


class LLMMoment(BaseModel):
    """One moment of the transcript worth a short clip."""

    model_config = ConfigDict(extra="ignore")  # the schema forbids extra keys; tolerate them here

    start: float = Field(description="Start time in seconds, taken from the transcript.")
    end: float = Field(description="End time in seconds, taken from the transcript.")
    score: float = Field(description="0-100: how strongly the moment meets the criteria.")
    title: str = Field("", description="A short, catchy title for the clip.")
    hook: str = Field("", description="The opening line that grabs attention.")
    reasoning: str = Field("", description="Why this moment meets the criteria.")
    criteria: list[str] = Field([], description="Keys of the criteria this moment meets.")
    quote: str = Field("", description="A sentence copied word for word from the moment.")


class LLMAnswer(BaseModel):
    model_config = ConfigDict(extra="ignore")

    moments: list[LLMMoment]


def _strict_schema(node: Any, defs: dict[str, Any]) -> Any:
    """Pydantic's schema made acceptable to strict structured output: refs inlined, every
    property required, no extra properties, no defaults."""
    if isinstance(node, list):
        return [_strict_schema(item, defs) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return _strict_schema(defs[node["$ref"].rsplit("/", 1)[-1]], defs)
    result = {
        key: _strict_schema(value, defs)
        for key, value in node.items()
        if key not in ("$defs", "default")
    }
    if "properties" in result:
        result["required"] = list(result["properties"])
        result["additionalProperties"] = False
    return result


def answer_schema() -> dict[str, Any]:
    schema = LLMAnswer.model_json_schema()
    return _strict_schema(schema, schema.get("$defs", {}))


JSON_SCHEMA_FORMAT = {
    "type": "json_schema",
    "json_schema": {"name": "moments", "strict": True, "schema": answer_schema()},
}
JSON_OBJECT_FORMAT = {"type": "json_object"}


@dataclass
class _Request:
    """What stays the same for every window of one call."""

    criteria: list[Criterion]
    min_seconds: float
    max_seconds: float
    max_moments: int


@dataclass
class _Chat:
    """One call's connection to the model; remembers when the server lacks json_schema."""

    client: openai.OpenAI
    settings: Settings
    structured: bool = True
    base_url: str = field(init=False)

    def __post_init__(self) -> None:
        self.base_url = redact_url(self.settings.openai_base_url) or OPENAI_URL  # for messages

    def complete(self, messages: list[dict[str, str]]) -> str:
        """The text of the model's reply; API failures become LLMError."""
        try:
            return self._create(messages)
        except openai.APIStatusError as error:
            if self.structured and error.status_code in (400, 422) and _rejects_json_schema(error):
                self.structured = False  # for the rest of this call
                return self.complete(messages)
            raise self._error(error) from error
        except openai.OpenAIError as error:
            raise self._error(error) from error

    def _create(self, messages: list[dict[str, str]]) -> str:
        # plain dicts for the messages and the response format: what the endpoint receives
        response = self.client.chat.completions.create(  # type: ignore[call-overload]
            model=self.settings.openai_model,
            messages=messages,
            response_format=JSON_SCHEMA_FORMAT if self.structured else JSON_OBJECT_FORMAT,
        )
        if not response.choices:
            return ""
        return response.choices[0].message.content or ""

    def _error(self, error: openai.OpenAIError) -> LLMError:
        url, model = self.base_url, self.settings.openai_model
        if isinstance(error, openai.APITimeoutError):
            return LLMError(
                f"The LLM server at {url} did not answer within "
                f"{self.settings.openai_timeout_seconds:g} seconds."
            )
        if isinstance(error, openai.APIConnectionError):
            return LLMError(
                f"Could not reach the LLM server at {url}; check OPENAI_BASE_URL "
                "and that the server is running."
            )
        if isinstance(error, openai.AuthenticationError | openai.PermissionDeniedError):
            return LLMError(f"The LLM server at {url} rejected the API key; check OPENAI_API_KEY.")
        if isinstance(error, openai.NotFoundError):
            return LLMError(
                f"The LLM server at {url} does not know the model '{model}'; check OPENAI_MODEL."
            )
        if isinstance(error, openai.RateLimitError):
            return LLMError(
                f"The LLM server at {url} is rate-limiting requests or the account "
                f"is out of quota: {_server_message(error)}"
            )
        if isinstance(error, openai.APIStatusError):
            return LLMError(
                f"The LLM server at {url} failed with HTTP {error.status_code}: "
                f"{_server_message(error)}"
            )
        return LLMError(f"The LLM request to {url} failed: {error}")


def _server_message(error: openai.APIError) -> str:
    body = error.body
    message = body.get("message") if isinstance(body, dict) else None
    return str(message or error.message).strip()


def _rejects_json_schema(error: openai.APIStatusError) -> bool:
    text = f"{error.message} {error.body}".lower()
    return "response_format" in text or "json_schema" in text


def analyze_with_llm(
    transcript: Transcript,
    criteria: list[Criterion],
    reporter: Reporter | None = None,
    *,
    min_seconds: float = 15.0,
    max_seconds: float = 60.0,
    max_moments: int = 12,
    settings: Settings | None = None,
) -> list[Moment]:
    """The best moments of `transcript` by the enabled `criteria`, best first, as an LLM picks
    them; every moment is checked against the transcript. Raises LLMError."""
    settings = settings or get_settings()
    reporter = reporter or Reporter()
    request = _Request([c for c in criteria if c.enabled], min_seconds, max_seconds, max_moments)
    budget = settings.llm_context_chars - len(SYSTEM_PROMPT) - len(_user_message(request, [], ""))
    if budget < MIN_TRANSCRIPT_BUDGET:
        raise LLMError(
            f"The criteria do not leave room for the transcript in the LLM context of "
            f"{settings.llm_context_chars} characters; raise LLM_CONTEXT_CHARS."
        )
    windows = split_windows(transcript_lines(transcript), budget)
    if not windows:
        reporter(1.0, "No speech to analyze")
        return []
    client = openai.OpenAI(
        api_key=settings.openai_api_key or PLACEHOLDER_API_KEY,
        base_url=settings.openai_base_url,
        timeout=settings.openai_timeout_seconds,
        max_retries=MAX_RETRIES,
    )
    with client:
        moments = _analyze_windows(_Chat(client, settings), transcript, windows, request, reporter)
    reporter(1.0, f"{len(moments)} moments found")
    return moments


def _analyze_windows(
    chat: _Chat,
    transcript: Transcript,
    windows: list[list[Sentence]],
    request: _Request,
    reporter: Reporter,
) -> list[Moment]:
    moments: list[Moment] = []
    failures: list[str] = []
    for index, window in enumerate(windows):
        part = f"part {index + 1} of {len(windows)}" if len(windows) > 1 else "the transcript"
        reporter(index / len(windows), f"Asking {chat.settings.openai_model} about {part}")
        try:
            answer = _ask(chat, _messages(request, window, index, len(windows)))
        except InvalidOutputError as error:
            failures.append(str(error))
            reporter(index / len(windows), f"Skipped {part}: invalid output twice ({error})")
            continue
        moments += [
            m
            for item in answer.moments
            if (m := _checked_moment(item, transcript, window, request)) is not None
        ]
    if failures and len(failures) == len(windows):
        every_part = " for every part of the transcript" if len(windows) > 1 else ""
        raise LLMError(
            f"The LLM ({chat.settings.openai_model}) answered invalid output twice{every_part}: "
            f"{failures[-1]}."
        )
    return merge_moments(moments)[: request.max_moments]


def _ask(chat: _Chat, messages: list[dict[str, str]]) -> LLMAnswer:
    """The validated answer; on invalid output, one retry that tells the model what was wrong."""
    content = chat.complete(messages)
    try:
        return parse_answer(content)
    except ValueError as error:
        problem = str(error)
    retry = [
        *messages,
        {"role": "assistant", "content": content[:4000]},
        {
            "role": "user",
            "content": f"Your reply was invalid: {problem}. Reply again with "
            "only a JSON object that matches the schema.",
        },
    ]
    try:
        return parse_answer(chat.complete(retry))
    except ValueError as error:
        raise InvalidOutputError(str(error)) from error


def parse_answer(content: str) -> LLMAnswer:
    """The model's reply as an LLMAnswer; ValueError with a short explanation if it is not."""
    text = re.sub(r"^```(?:json)?\s*|\s*```$", "", content.strip())
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"the reply is not valid JSON ({error})") from None
    if isinstance(data, list):  # some servers in plain JSON mode drop the wrapper object
        data = {"moments": data}
    try:
        return LLMAnswer.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'reply'}: {e['msg']}" for e in error.errors()[:3]
        )
        raise ValueError(f"the reply does not match the schema ({problems})") from None


# --- the prompt -----------------------------------------------------------------------------


def transcript_lines(transcript: Transcript) -> list[Sentence]:
    """One line per sentence (long ones cut at MAX_LINE_SECONDS), or per segment without words."""
    lines: list[Sentence] = []
    for sentence in transcript.sentences:
        lines += _split_long(sentence) if sentence.words else [sentence]
    return [line for line in lines if line.text]


def _split_long(sentence: Sentence) -> list[Sentence]:
    chunks: list[list[Word]] = [[]]
    for word in sentence.words:
        if chunks[-1] and word.end - chunks[-1][0].start > MAX_LINE_SECONDS:
            chunks.append([])
        chunks[-1].append(word)
    return [
        Sentence(start=c[0].start, end=c[-1].end, text="".join(w.text for w in c).strip(), words=c)
        for c in chunks
    ]


def format_line(line: Sentence) -> str:
    return f"[{line.start:.1f}-{line.end:.1f}] {line.text}"


def split_windows(lines: list[Sentence], budget_chars: int) -> list[list[Sentence]]:
    """Consecutive lines that fit in `budget_chars`, each window starting about
    WINDOW_OVERLAP_SECONDS before the previous one ended (but always at least halfway on)."""
    windows: list[list[Sentence]] = []
    first = 0
    while first < len(lines):
        last, size = first, 0
        while last < len(lines) and (
            last == first or size + len(format_line(lines[last])) + 1 <= budget_chars
        ):
            size += len(format_line(lines[last])) + 1
            last += 1
        windows.append(lines[first:last])
        if last == len(lines):
            break
        overlap_from = lines[last - 1].end - WINDOW_OVERLAP_SECONDS
        next_first = next(
            (i for i in range(first + 1, last) if lines[i].start >= overlap_from), last
        )
        first = max(next_first, first + max(1, (last - first) // 2))
    return windows


def _criteria_block(criteria: list[Criterion]) -> str:
    return "\n\n".join(f"## {c.key}\n{c.text.strip()}" for c in criteria)


def _user_message(request: _Request, window: list[Sentence], part: str) -> str:
    transcript = "\n".join(format_line(line) for line in window)
    return (
        'Criteria (judge every moment against these; list the keys it meets in "criteria"):\n\n'
        f"{_criteria_block(request.criteria)}\n\n"
        f"Each moment should last between {request.min_seconds:g} and {request.max_seconds:g} "
        f"seconds. Return at most {request.max_moments} moments, best first, and fewer (or none) "
        "if the transcript has no strong moments.\n\n"
        f"Transcript{part}, one line per sentence as [start-end] text, times in seconds:\n"
        f"{transcript}\n\n"
        "Reply with a JSON object that matches this JSON schema:\n"
        f"{json.dumps(answer_schema())}"
    )


def _messages(
    request: _Request, window: list[Sentence], index: int, count: int
) -> list[dict[str, str]]:
    part = (
        f" (part {index + 1} of {count}, from {window[0].start:.0f} s to {window[-1].end:.0f} s)"
        if count > 1
        else ""
    )
    return [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": _user_message(request, window, part)},
    ]


# --- checking the answer against the transcript ------------------------------------------------


def _checked_moment(
    item: LLMMoment, transcript: Transcript, window: list[Sentence], request: _Request
) -> Moment | None:
    """The model's moment as a Moment that points at real transcript time, or None."""
    start = min(max(item.start, 0.0), transcript.duration)
    end = min(max(item.end, 0.0), transcript.duration)
    if end <= start:
        return None
    if item.quote.strip():
        span = _quote_span(
            item.quote, transcript, start - QUOTE_MARGIN_SECONDS, end + QUOTE_MARGIN_SECONDS
        )
        if span is None:
            span = _quote_span(item.quote, transcript, window[0].start, window[-1].end)
            if span is None:
                return None
            start, end = _reanchor(start, end, span, transcript.duration)
    if not _has_speech(transcript, start, end):
        return None
    return Moment(
        start=start,
        end=end,
        score=min(max(item.score, 0.0), 100.0),
        title=item.title.strip() or _short(item.quote) or "Untitled moment",
        hook=item.hook.strip(),
        reasoning=item.reasoning.strip(),
        criteria=_criteria_keys(item.criteria, request.criteria),
        quote=item.quote.strip(),
    )


def _reanchor(
    start: float, end: float, span: tuple[float, float], duration: float
) -> tuple[float, float]:
    """Move the moment to start where its quote really is, keeping its length."""
    new_end = min(duration, max(span[1], span[0] + (end - start)))
    return span[0], new_end


def _has_speech(transcript: Transcript, start: float, end: float) -> bool:
    spans = transcript.words or transcript.segments
    return any(s.end > start and s.start < end for s in spans)


def _criteria_keys(named: list[str], criteria: list[Criterion]) -> list[str]:
    """The enabled criteria the model named, by key or by title, each once, in its order."""
    by_name = {c.key.lower(): c.key for c in criteria} | {c.title.lower(): c.key for c in criteria}
    keys = [by_name.get(name.strip().lower()) for name in named]
    return list(dict.fromkeys(k for k in keys if k))


def _short(text: str, words: int = 8) -> str:
    parts = text.split()
    return " ".join(parts[:words]) + ("…" if len(parts) > words else "")


def normalize(text: str) -> list[str]:
    """Lower-case tokens without punctuation ("Don't stop!" -> ["dont", "stop"])."""
    text = re.sub(r"['’`]", "", text.lower())
    return re.sub(r"[^\w\s]|_", " ", text).split()


def _quote_span(
    quote: str, transcript: Transcript, start: float, end: float
) -> tuple[float, float] | None:
    """Where `quote` is spoken between start and end (exactly, or with a difflib ratio of at
    least QUOTE_MIN_RATIO over a run of as many words), or None."""
    wanted = normalize(quote)
    tokens = [
        (token, word)
        for word in transcript.words_between(start, end)
        for token in normalize(word.text)
    ]
    if not wanted or len(tokens) < len(wanted):
        return None
    matcher = SequenceMatcher(autojunk=False)
    matcher.set_seq2(" ".join(wanted))
    best, best_ratio = None, QUOTE_MIN_RATIO
    for first in range(len(tokens) - len(wanted) + 1):
        run = tokens[first : first + len(wanted)]
        candidate = [token for token, _ in run]
        if candidate == wanted:
            return run[0][1].start, run[-1][1].end
        matcher.set_seq1(" ".join(candidate))
        if matcher.real_quick_ratio() >= best_ratio and matcher.quick_ratio() >= best_ratio:
            ratio = matcher.ratio()
            if ratio >= best_ratio:
                best, best_ratio = (run[0][1].start, run[-1][1].end), ratio
    return best


def merge_moments(moments: list[Moment]) -> list[Moment]:
    """Best first; a moment overlapping a better one by more than half of the shorter is
    dropped (the same moment found in two overlapping windows)."""
    kept: list[Moment] = []
    for moment in sorted(moments, key=lambda m: m.score, reverse=True):
        if not any(_overlap_fraction(moment, other) > DUPLICATE_OVERLAP for other in kept):
            kept.append(moment)
    return kept


def _overlap_fraction(a: Moment, b: Moment) -> float:
    overlap = min(a.end, b.end) - max(a.start, b.start)
    return max(0.0, overlap) / min(a.duration, b.duration)
