"""A generated sample talk: espeak-ng speaks a script, ffmpeg adds a moving test picture.

Used by `make run` (a demo without any download), the tests and the benchmarks. The script mixes
bland filler with a few planted strong moments, and the returned timeline says where each is.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

from viralclipper.pipeline.media import ffmpeg_binary
from viralclipper.pipeline.progress import PipelineError

FILLER = [
    "Okay, so let me go over the agenda for today. First we will look at the slides, and then "
    "we will talk about the schedule for the rest of the week.",
    "The meeting room on the second floor is booked until three, so we will stay in this room "
    "for now. Please remember to update the shared calendar.",
    "The next slide shows the layout of the office. The printer is next to the kitchen, and the "
    "spare chargers are in the cabinet by the door.",
    "We also have a few notes about the parking arrangements, which have not changed since the "
    "last time we discussed them in the weekly meeting.",
    "After that, there are a couple of administrative items about the quarterly forms, which you "
    "can fill in whenever you have a moment this month.",
]

PLANTED = [
    "Here is the secret nobody tells you. Ninety percent of startups fail because they never "
    "talk to their customers. That is insane! I lost two million dollars learning this the "
    "hard way, and I will never make that mistake again.",
    "Why do most people never get rich? Stop saving money and start investing in yourself. "
    "This one habit changed my life completely, and it can change yours too. Trust me, "
    "it is the biggest lesson I ever learned.",
    "I was terrified. My heart was pounding, I could not breathe, and then everyone in the room "
    "started laughing. It was the most embarrassing and the funniest moment of my entire career.",
]


@dataclass(frozen=True)
class Passage:
    start: float
    end: float
    text: str
    planted: bool


@dataclass(frozen=True)
class SampleTalk:
    path: Path
    duration: float
    passages: list[Passage]

    @property
    def planted(self) -> list[Passage]:
        return [p for p in self.passages if p.planted]


def default_script(minutes: float = 1.0) -> list[tuple[str, bool]]:
    """Filler with the planted passages spread through it, about `minutes` long."""
    script: list[tuple[str, bool]] = []
    # about 10.2 s per passage with its gap, at espeak-ng's 165 words a minute
    count = max(len(PLANTED) * 2, round(minutes * 60 / 10.2))
    for i in range(count):
        planted_slot = i % 3 == 1
        pool = PLANTED if planted_slot else FILLER
        script.append((pool[(i // 3 if planted_slot else i) % len(pool)], planted_slot))
    return script


def make_sample_talk(
    out: Path,
    script: list[tuple[str, bool]] | None = None,
    size: str = "640x360",
    fps: int = 25,
    gap: float = 0.6,
) -> SampleTalk:
    """Write an MP4 talk to `out` (H.264 + AAC) and return where each passage is."""
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        raise PipelineError(
            "espeak-ng is needed to generate the sample talk (apt install espeak-ng)"
        )
    script = script or default_script()
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        passages, wavs, t = [], [], 0.0
        for i, (text, planted) in enumerate(script):
            wav = tmp / f"{i:04d}.wav"
            subprocess.run([espeak, "-v", "en-us", "-s", "165", "-w", str(wav), text], check=True)
            length = _wav_seconds(wav)
            passages.append(Passage(t, t + length, text, planted))
            wavs.append(wav)
            t += length + gap
        audio = tmp / "talk.wav"
        _concat_wavs(wavs, gap, audio)
        subprocess.run(
            [
                ffmpeg_binary(),
                "-hide_banner",
                "-loglevel",
                "error",
                "-y",
                "-f",
                "lavfi",
                "-i",
                f"testsrc2=size={size}:rate={fps}",
                "-i",
                str(audio),
                "-shortest",
                "-c:v",
                "libx264",
                "-preset",
                "ultrafast",
                "-pix_fmt",
                "yuv420p",
                "-g",
                str(fps * 2),
                "-c:a",
                "aac",
                "-b:a",
                "96k",
                "-movflags",
                "+faststart",
                str(out),
            ],
            check=True,
        )
    return SampleTalk(out, t - gap, passages)


def _wav_seconds(path: Path) -> float:
    with wave.open(str(path)) as w:
        return w.getnframes() / w.getframerate()


def _concat_wavs(wavs: list[Path], gap: float, out: Path) -> None:
    with wave.open(str(wavs[0])) as first:
        params = first.getparams()
    silence = b"\x00" * int(params.framerate * gap) * params.sampwidth * params.nchannels
    with wave.open(str(out), "wb") as dst:
        dst.setparams(params)
        for i, wav in enumerate(wavs):
            with wave.open(str(wav)) as src:
                dst.writeframes(src.readframes(src.getnframes()))
            if i < len(wavs) - 1:
                dst.writeframes(silence)
