"""A clip's captions, all made from one list of timed words: the SRT and VTT files that go with
the clip, and the ASS file that libass burns into the picture (a preset's look, the spoken word
highlighted). Editing a word and writing the three again keeps them in step.

The fonts ship in `viralclipper/fonts` (Lato, SIL Open Font License) and reach libass through
`fontsdir`, so a clip looks the same on a laptop and in the Docker image.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from viralclipper.config import Captions, CaptionStyle, OutputFormat
from viralclipper.pipeline.files import atomic_output
from viralclipper.pipeline.transcript import SENTENCE_END, Word

FONTS_DIR = Path(__file__).resolve().parent.parent / "fonts"

CUE_MAX_WORDS = 7
CUE_MAX_SECONDS = 3.5
CUE_MAX_GAP = 1.0  # a pause this long starts a new cue
CUE_HOLD_SECONDS = 0.5  # a cue's last word stays up this long after it is spoken (if free)


@dataclass(frozen=True)
class CaptionPreset:
    """How burned-in captions look. Sizes are shares of the frame so one preset fits any size."""

    font: str
    bold: bool
    size: float  # font size, share of the frame's height (of its width for horizontal frames)
    upper: bool
    text_colour: str  # ASS &HBBGGRR
    highlight_colour: str
    outline: float  # share of the font size
    shadow: float
    boxed: bool  # an opaque box behind the text instead of an outline
    bottom: float  # the text's bottom edge above the frame's bottom, share of the height
    max_words: int


# Vertical platforms (Shorts, TikTok, Reels) cover the bottom ~20 % of the frame with their own
# buttons and captions and the top ~10 % with tabs: every preset stays between the two.
PRESETS: dict[CaptionStyle, CaptionPreset] = {
    "bold": CaptionPreset(
        font="Lato Black",
        bold=False,
        size=0.045,
        upper=True,
        text_colour="&H00FFFFFF",
        highlight_colour="&H0000E6FF",  # yellow
        outline=0.09,
        shadow=0.03,
        boxed=False,
        bottom=0.30,
        max_words=4,
    ),
    "classic": CaptionPreset(
        font="Lato",
        bold=True,
        size=0.036,
        upper=False,
        text_colour="&H00FFFFFF",
        highlight_colour="&H0066D9FF",  # warm amber
        outline=0.07,
        shadow=0.0,
        boxed=False,
        bottom=0.22,
        max_words=7,
    ),
    "minimal": CaptionPreset(
        font="Lato",
        bold=True,
        size=0.030,
        upper=False,
        text_colour="&H00C8C8C8",  # the spoken word in full white, the others light grey
        highlight_colour="&H00FFFFFF",
        outline=0.25,  # the box's padding
        shadow=0.0,
        boxed=True,
        bottom=0.22,
        max_words=6,
    ),
}
CHAR_WIDTH = 0.62  # a generous average glyph width of the fonts above, in ems
SIDE_MARGIN = 0.08  # share of the width kept clear on each side


def caption_style(captions: Captions, fmt: OutputFormat) -> CaptionStyle | None:
    """The preset to burn in, or None: "auto" is "bold" for vertical clips, none for horizontal."""
    if captions == "none":
        return None
    if captions == "auto":
        return "bold" if fmt == "vertical" else None
    return captions


def clip_words(words: list[Word], clip_start: float, clip_end: float) -> list[Word]:
    """The words spoken within the clip (their middle inside it), timed from the clip's start
    and clipped to it."""
    length = clip_end - clip_start
    return [
        w.model_copy(
            update={
                "start": min(max(w.start - clip_start, 0.0), length),
                "end": min(max(w.end - clip_start, 0.0), length),
            }
        )
        for w in words
        if clip_start <= (w.start + w.end) / 2 <= clip_end
    ]


def group_cues(
    words: list[Word], max_words: int = CUE_MAX_WORDS, max_chars: int | None = None
) -> list[list[Word]]:
    """Readable cues: at most `max_words` words (and `max_chars` characters) or 3.5 s; a cue
    ends after a sentence or a long pause."""
    cues: list[list[Word]] = []
    current: list[Word] = []
    for word in words:
        if current and _starts_new_cue(current, word, max_words, max_chars):
            cues.append(current)
            current = []
        current.append(word)
    if current:
        cues.append(current)
    return cues


def _starts_new_cue(current: list[Word], word: Word, max_words: int, max_chars: int | None) -> bool:
    return (
        len(current) >= max_words
        or word.end - current[0].start > CUE_MAX_SECONDS
        or word.start - current[-1].end > CUE_MAX_GAP
        or bool(SENTENCE_END.search(current[-1].text.strip()))
        or (max_chars is not None and len(_text([*current, word])) > max_chars)
    )


def _text(words: list[Word]) -> str:
    """Word texts carry their own leading space, as Whisper's do, so they are joined as they are."""
    return " ".join("".join(w.text for w in words).split())


def write_srt(words: list[Word], clip_start: float, clip_end: float, out: Path) -> Path:
    """SubRip subtitles of the clip's words, timed from the clip's start."""
    cues = group_cues(clip_words(words, clip_start, clip_end))
    blocks = [
        f"{i}\n{srt_time(c[0].start)} --> {srt_time(_cue_end(c))}\n{_text(c)}\n"
        for i, c in enumerate(cues, start=1)
    ]
    return _write(out, "\n".join(blocks))


def write_vtt(words: list[Word], clip_start: float, clip_end: float, out: Path) -> Path:
    """WebVTT subtitles (what browsers' <track> reads) with the same cues as the SRT."""
    cues = group_cues(clip_words(words, clip_start, clip_end))
    blocks = [
        f"{vtt_time(c[0].start)} --> {vtt_time(_cue_end(c))}\n{_vtt_escape(_text(c))}\n"
        for c in cues
    ]
    return _write(out, "\n".join(["WEBVTT\n", *blocks]))


def write_ass(
    words: list[Word],
    clip_start: float,
    clip_end: float,
    out: Path,
    *,
    style: CaptionStyle,
    size: tuple[int, int],
) -> Path:
    """The ASS file libass burns in: for every word an event showing its cue (at most two lines)
    with that word highlighted, from the moment it is spoken to the next word."""
    width, height = size
    preset = PRESETS[style]
    font_size = round(preset.size * (height if height >= width else width * 0.75))
    line_chars = max(8, int(width * (1 - 2 * SIDE_MARGIN) / (font_size * CHAR_WIDTH)))
    cues = group_cues(
        clip_words(words, clip_start, clip_end), preset.max_words, max_chars=2 * line_chars
    )
    events: list[str] = []
    for n, cue in enumerate(cues):
        next_start = cues[n + 1][0].start if n + 1 < len(cues) else clip_end - clip_start
        cue_end = max(min(cue[-1].end + CUE_HOLD_SECONDS, next_start), cue[-1].end)
        for i, word in enumerate(cue):
            end = cue[i + 1].start if i + 1 < len(cue) else cue_end
            text = _ass_lines(cue, i, preset, line_chars)
            events.append(
                f"Dialogue: 0,{ass_time(word.start)},{ass_time(max(end, word.start))},"
                f"Caption,,0,0,0,,{text}"
            )
    return _write(out, _ass_header(preset, width, height, font_size) + "\n".join(events) + "\n")


def _ass_lines(cue: list[Word], spoken: int, preset: CaptionPreset, line_chars: int) -> str:
    """The cue's words on one line, or two when it is too wide, the spoken one highlighted."""
    texts = [_ass_escape(w.text.strip().upper() if preset.upper else w.text.strip()) for w in cue]
    texts[spoken] = f"{{\\c{preset.highlight_colour}}}{texts[spoken]}{{\\c{preset.text_colour}}}"
    plain = [w.text.strip() for w in cue]
    split = len(cue)
    if len(" ".join(plain)) > line_chars and len(cue) > 1:
        # break where the two lines are closest in length
        split = min(
            range(1, len(cue)),
            key=lambda k: abs(len(" ".join(plain[:k])) - len(" ".join(plain[k:]))),
        )
    first, second = " ".join(texts[:split]), " ".join(texts[split:])
    return f"{first}\\N{second}" if second else first


def _ass_header(preset: CaptionPreset, width: int, height: int, font_size: int) -> str:
    outline = round(font_size * preset.outline, 1)
    shadow = round(font_size * preset.shadow, 1)
    border_style, outline_colour, back_colour = (
        (3, "&H80000000", "&H80000000") if preset.boxed else (1, "&H00000000", "&H80000000")
    )
    bold = -1 if preset.bold else 0
    margin_side = round(width * SIDE_MARGIN)
    margin_bottom = round(height * preset.bottom)
    return (
        "[Script Info]\n"
        "ScriptType: v4.00+\n"
        f"PlayResX: {width}\n"
        f"PlayResY: {height}\n"
        "WrapStyle: 2\n"  # lines break only where we put \N
        "ScaledBorderAndShadow: yes\n"
        "\n"
        "[V4+ Styles]\n"
        "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, "
        "BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, "
        "BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding\n"
        f"Style: Caption,{preset.font},{font_size},{preset.text_colour},{preset.text_colour},"
        f"{outline_colour},{back_colour},{bold},0,0,0,100,100,0,0,{border_style},{outline},"
        f"{shadow},2,{margin_side},{margin_side},{margin_bottom},1\n"
        "\n"
        "[Events]\n"
        "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n"
    )


def _cue_end(cue: list[Word]) -> float:
    return max(cue[-1].end, cue[0].start)


def _ass_escape(text: str) -> str:
    """Braces and backslashes would start override tags: an edited word cannot restyle the rest."""
    return text.replace("\\", "/").replace("{", "(").replace("}", ")")


def _vtt_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _write(out: Path, text: str) -> Path:
    with atomic_output(out) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return out


def _split_millis(seconds: float) -> tuple[int, int, int, int]:
    millis = round(max(seconds, 0.0) * 1000)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return hours, minutes, secs, millis


def srt_time(seconds: float) -> str:
    """`HH:MM:SS,mmm`, the SubRip time format."""
    h, m, s, ms = _split_millis(seconds)
    return f"{h:02d}:{m:02d}:{s:02d},{ms:03d}"


def vtt_time(seconds: float) -> str:
    """`HH:MM:SS.mmm`, the WebVTT time format."""
    h, m, s, ms = _split_millis(seconds)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def ass_time(seconds: float) -> str:
    """`H:MM:SS.cc`, the ASS time format (centiseconds)."""
    centis = round(max(seconds, 0.0) * 100)
    hours, centis = divmod(centis, 360_000)
    minutes, centis = divmod(centis, 6000)
    secs, centis = divmod(centis, 100)
    return f"{hours:d}:{minutes:02d}:{secs:02d}.{centis:02d}"
