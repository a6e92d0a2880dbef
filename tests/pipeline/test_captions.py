"""Captions: SRT, VTT and the ASS file libass burns in, all from the same words."""

from __future__ import annotations

import re
from pathlib import Path
from typing import get_args

import pytest

from viralclipper.config import CaptionStyle
from viralclipper.pipeline.captions import (
    FONTS_DIR,
    PRESETS,
    ass_time,
    caption_style,
    group_cues,
    srt_time,
    vtt_time,
    write_ass,
    write_srt,
    write_vtt,
)
from viralclipper.pipeline.transcript import Word


def files_in(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def words(*items: tuple[float, float, str]) -> list[Word]:
    return [Word(start=start, end=end, text=text) for start, end, text in items]


def parse_srt(text: str) -> list[tuple[str, str, str]]:
    cues = []
    for block in text.strip().split("\n\n"):
        number, times, caption = block.split("\n")
        cues.append((number, times, caption))
    return cues


def test_srt_times_are_relative_to_the_clip_and_clipped_to_it(tmp_path):
    transcript_words = words(
        (99.0, 99.5, " Before"),  # wholly before the clip: left out
        (99.8, 100.4, " Hello"),  # mostly inside: kept, its start clipped to 0
        (100.5, 101.0, " world."),
        (3700.0, 3700.5, " Late"),  # an hour in, still inside the long clip
        (3701.0, 3702.0, " end"),  # straddles the clip's end: clipped to it
    )

    out = write_srt(transcript_words, 100.0, 3701.75, tmp_path / "clip.srt")

    assert parse_srt(out.read_text(encoding="utf-8")) == [
        ("1", "00:00:00,000 --> 00:00:01,000", "Hello world."),
        ("2", "01:00:00,000 --> 01:00:01,750", "Late end"),
    ]
    assert files_in(tmp_path) == ["clip.srt"]


def test_srt_cues_break_after_sentences_and_at_seven_words(tmp_path):
    text = " One two three four five six seven eight nine. Ten eleven."
    timed = words(*[(i * 0.3, i * 0.3 + 0.25, f" {w}") for i, w in enumerate(text.split())])

    out = write_srt(timed, 0.0, 10.0, tmp_path / "clip.srt")

    captions = [caption for _, _, caption in parse_srt(out.read_text(encoding="utf-8"))]
    assert captions == ["One two three four five six seven", "eight nine.", "Ten eleven."]
    assert [number for number, _, _ in parse_srt(out.read_text(encoding="utf-8"))] == [
        "1",
        "2",
        "3",
    ]


def test_cues_last_at_most_3_5_seconds_and_break_at_pauses():
    slow = words(*[(i * 1.0, i * 1.0 + 0.8, f" w{i}") for i in range(6)])
    assert [len(cue) for cue in group_cues(slow)] == [3, 3]
    for cue in group_cues(slow):
        assert cue[-1].end - cue[0].start <= 3.5

    paused = words((0.0, 0.4, " Wait"), (2.0, 2.4, " what"))
    assert [len(cue) for cue in group_cues(paused)] == [1, 1]


def test_word_pieces_join_as_whisper_spaced_them(tmp_path):
    pieces = words((0.0, 0.4, " twenty"), (0.4, 0.8, "-five"), (0.8, 1.2, "  percent!"))

    out = write_srt(pieces, 0.0, 2.0, tmp_path / "clip.srt")

    assert parse_srt(out.read_text(encoding="utf-8"))[0][2] == "twenty-five percent!"


def test_srt_time_format():
    assert srt_time(0) == "00:00:00,000"
    assert srt_time(3.2) == "00:00:03,200"
    assert srt_time(59.9996) == "00:01:00,000"
    assert srt_time(3723.045) == "01:02:03,045"


def test_vtt_has_the_srt_cues_in_webvtt_form(tmp_path):
    timed = words((10.0, 10.4, " Fish"), (10.5, 10.9, " &"), (11.0, 11.5, " <chips>."))

    srt = write_srt(timed, 9.5, 20.0, tmp_path / "clip.srt").read_text(encoding="utf-8")
    vtt = write_vtt(timed, 9.5, 20.0, tmp_path / "clip.vtt").read_text(encoding="utf-8")

    assert vtt.startswith("WEBVTT\n\n")
    assert "00:00:00.500 --> 00:00:02.000\nFish &amp; &lt;chips&gt;.\n" in vtt
    assert "00:00:00,500 --> 00:00:02,000\nFish & <chips>.\n" in srt


def test_time_formats():
    assert vtt_time(3723.045) == "01:02:03.045"
    assert ass_time(3723.04) == "1:02:03.04"
    assert ass_time(0.126) == "0:00:00.13"
    assert ass_time(61.5) == "0:01:01.50"


DIALOGUE = re.compile(r"^Dialogue: 0,([\d:.]+),([\d:.]+),Caption,,0,0,0,,(.*)$", re.M)


def seconds(ass: str) -> float:
    h, m, s = ass.split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)


def ass_events(path: Path) -> list[tuple[float, float, str]]:
    return [
        (seconds(a), seconds(b), text)
        for a, b, text in DIALOGUE.findall(path.read_text(encoding="utf-8"))
    ]


def highlighted(text: str) -> str:
    """The word between the highlight colour and the colour that ends it."""
    return re.search(r"\{\\c&H[0-9A-F]+&?\}([^{]*)\{\\c", text).group(1)


@pytest.mark.parametrize("style", get_args(CaptionStyle))
def test_ass_has_one_event_per_word_timed_like_the_word_and_highlighting_it(tmp_path, style):
    text = "Stop saving money and start investing in yourself. This one habit changed my life."
    timed = words(
        *[(100 + i * 0.4, 100 + i * 0.4 + 0.3, f" {w}") for i, w in enumerate(text.split())]
    )

    out = write_ass(timed, 99.0, 107.0, tmp_path / "clip.ass", style=style, size=(1080, 1920))

    events = ass_events(out)
    assert len(events) == len(timed)
    for word, (start, end, line) in zip(timed, events, strict=True):
        assert start == pytest.approx(word.start - 99.0, abs=0.006)
        assert end >= start
        spoken = word.text.strip()
        assert highlighted(line) == (spoken.upper() if PRESETS[style].upper else spoken)
        assert line.count("\\N") <= 1  # at most two lines
    # a word's event lasts until the next word of its cue starts
    assert events[0][1] == pytest.approx(events[1][0], abs=0.006)
    header = out.read_text(encoding="utf-8")
    assert "PlayResX: 1080" in header and "PlayResY: 1920" in header
    assert files_in(tmp_path) == ["clip.ass"]


def test_ass_text_cannot_carry_override_tags(tmp_path):
    edited = words((0.0, 0.5, " {\\fs400}huge"), (0.5, 1.0, " word."))

    out = write_ass(edited, 0.0, 2.0, tmp_path / "clip.ass", style="classic", size=(1080, 1920))

    assert "\\fs400" not in out.read_text(encoding="utf-8")


def test_ass_lines_fit_the_frame_in_at_most_two_lines(tmp_path):
    long_words = " ".join(["extraordinarily"] * 12) + "."
    timed = words(*[(i * 0.3, i * 0.3 + 0.25, f" {w}") for i, w in enumerate(long_words.split())])

    out = write_ass(timed, 0.0, 5.0, tmp_path / "clip.ass", style="bold", size=(720, 1280))

    for _, _, line in ass_events(out):
        plain = re.sub(r"\{[^}]*\}", "", line)
        assert plain.count("\\N") <= 1
        for row in plain.split("\\N"):
            assert len(row) <= 20, row  # about 16 capitals of the bold preset fit 720 px


def test_captions_auto_is_bold_on_vertical_clips_and_off_on_horizontal():
    assert caption_style("auto", "vertical") == "bold"
    assert caption_style("auto", "horizontal") is None
    assert caption_style("none", "vertical") is None
    assert caption_style("minimal", "horizontal") == "minimal"


def test_presets_and_their_fonts_ship_with_the_project():
    assert set(PRESETS) == set(get_args(CaptionStyle))
    fonts = {p.name for p in FONTS_DIR.iterdir()}
    assert {"Lato-Black.ttf", "Lato-Bold.ttf", "OFL.txt"} <= fonts


def test_group_cues_respects_a_character_budget():
    timed = words(*[(i * 0.2, i * 0.2 + 0.1, " abcdefghij") for i in range(6)])
    assert [len(cue) for cue in group_cues(timed, max_words=6, max_chars=25)] == [2, 2, 2]
