"""Clip boundaries benchmark: on generated talks, the share of clip starts whose first 80 ms and
clip ends whose last 80 ms are silent (the cut falls in the silence between words).

    .venv/bin/python -m bench.boundaries [--minutes 3] [--talks 2]

Clips come from the offline analyzer and from moments placed every few seconds over the whole
talk (so many cuts are measured, not just the few best clips), validated by select_clips with the
audio and, for comparison, without it (word times only). Targets: 100 % of ends, >= 95 % starts.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import wave
from pathlib import Path

import numpy as np

from bench.tables import table

WINDOW = 0.08
SILENT_BELOW_DB = -40.0  # a window this far below the talk's loud level is silent


def samples(wav: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(wav)) as w:
        data = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16).astype(np.float32)
        return data / 32768.0, w.getframerate()


def is_silent(audio: np.ndarray, rate: int, start: float, loud: float) -> bool:
    a, b = round(start * rate), round((start + WINDOW) * rate)
    window = audio[max(a, 0) : max(b, 0)]
    if window.size == 0:
        return True
    rms = float(np.sqrt(np.mean(window**2)))
    return 20 * np.log10(max(rms, 1e-9) / loud) < SILENT_BELOW_DB


def loud_level(audio: np.ndarray, rate: int) -> float:
    frames = audio[: audio.size // (rate // 100) * (rate // 100)].reshape(-1, rate // 100)
    return float(np.percentile(np.sqrt(np.mean(frames**2, axis=1)), 95))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--talks", type=int, default=2)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="vc-bench-bounds-"))
    os.environ["VIRALCLIPPER_DATA_DIR"] = str(work / "data")

    from viralclipper.config import ClipSettings
    from viralclipper.pipeline.analyze import analyze
    from viralclipper.pipeline.criteria import enabled_criteria
    from viralclipper.pipeline.media import extract_audio
    from viralclipper.pipeline.moment import Moment
    from viralclipper.pipeline.progress import Reporter
    from viralclipper.pipeline.sample import FILLER, PLANTED, make_sample_talk
    from viralclipper.pipeline.select import Envelope, select_clips
    from viralclipper.pipeline.transcribe import transcribe

    options = ClipSettings(analyzer="offline")
    # clips, silent starts, silent ends, starts at the media's first word (no silence before it)
    counts = {"audio": [0, 0, 0, 0], "words only": [0, 0, 0, 0]}
    for n in range(args.talks):
        # a different order of passages per talk
        pool = [(p, False) for p in FILLER] + [(p, True) for p in PLANTED]
        count = round(args.minutes * 60 / 10.2)
        script = [pool[(i * (n + 2) + n) % len(pool)] for i in range(count)]
        talk = make_sample_talk(work / f"talk-{n}.mp4", script, gap=0.3 + 0.3 * n)
        wav = extract_audio(talk.path, work / f"talk-{n}.wav")
        transcript = transcribe(wav, work / f"tc-{n}")
        audio, rate = samples(wav)
        loud = loud_level(audio, rate)
        moments = analyze(
            transcript, enabled_criteria(None), Reporter(), analyzer="offline", audio_path=wav
        )
        moments += [
            Moment(start=t, end=t + 25.0, score=10.0, title=f"every-{t:.0f}")
            for t in np.arange(0.0, talk.duration - 20.0, 3.7)
        ]
        for label, envelope in (("audio", Envelope.of_wav(wav)), ("words only", None)):
            for moment in moments:
                [*clips] = select_clips(
                    [moment],
                    transcript,
                    min_seconds=options.min_clip_seconds,
                    max_seconds=options.max_clip_seconds,
                    envelope=envelope,
                )
                for clip in clips:
                    c = counts[label]
                    c[0] += 1
                    if clip.start < WINDOW:
                        c[3] += 1
                        c[1] += 1
                    else:
                        c[1] += is_silent(audio, rate, clip.start, loud)
                    c[2] += is_silent(audio, rate, clip.end - WINDOW, loud)
    rows = [
        [label, c[0], f"{c[1] / c[0]:.1%}", f"{c[2] / c[0]:.1%}", c[3]]
        for label, c in counts.items()
    ]
    print(
        table(
            f"clip boundaries on {args.talks} generated talks of {args.minutes:g} min "
            f"(first/last {WINDOW * 1000:.0f} ms below {SILENT_BELOW_DB:g} dB of the speech level)",
            ["cuts placed with", "clips", "silent starts", "silent ends", "at 0 s"],
            rows,
        )
    )
    print(
        "\n'at 0 s': clips that start with the talk (its first word is at 0 s, so there is no "
        "silence to cut in); counted as silent starts.\ntarget: 100% of ends, >= 95% of starts"
    )


if __name__ == "__main__":
    main()
