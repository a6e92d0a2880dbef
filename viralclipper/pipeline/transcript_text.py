"""A job's transcript as text people and players read: plain text, SRT, WebVTT (one cue a
sentence), and a clip's SRT subtitles as WebVTT."""

from __future__ import annotations

import re

from viralclipper.pipeline.captions import srt_time, vtt_time
from viralclipper.pipeline.transcript import Transcript

SRT_TIME = re.compile(r"(\d\d:\d\d:\d\d),(\d{3})")


def as_text(transcript: Transcript) -> str:
    """One sentence a line."""
    return "".join(f"{s.text}\n" for s in transcript.sentences)


def as_srt(transcript: Transcript) -> str:
    return "\n".join(
        f"{n}\n{srt_time(s.start)} --> {srt_time(s.end)}\n{s.text}\n"
        for n, s in enumerate(transcript.sentences, start=1)
    )


def as_vtt(transcript: Transcript) -> str:
    cues = (f"{vtt_time(s.start)} --> {vtt_time(s.end)}\n{s.text}\n" for s in transcript.sentences)
    return "WEBVTT\n\n" + "\n".join(cues)


def srt_to_vtt(srt: str) -> str:
    """The same cues as WebVTT: a header, and `.` before the milliseconds."""
    return "WEBVTT\n\n" + SRT_TIME.sub(r"\1.\2", srt.replace("\r\n", "\n"))
