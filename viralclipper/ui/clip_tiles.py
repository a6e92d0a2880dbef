"""Vertical clips as 9:16 tiles: the clip plays muted while the pointer is on it (in the browser,
no round trip), its whole title under it, and a click opens it large with its tools."""

from __future__ import annotations

from collections.abc import Callable

from nicegui import ui

from viralclipper.models.tables import Clip
from viralclipper.ui.components import PLACEHOLDER_THUMBNAIL, clip_file_url, hint, score_badge

# a tile spans one column, a 16:9 card two: two tiles a row on a phone, six on a wide screen
TILE_GRID = "w-full gap-2 sm:gap-4 grid-cols-2 md:grid-cols-4 lg:grid-cols-6"
WIDE_CARD = "col-span-2"
VIDEO = "const v = e.currentTarget.querySelector('video'); if (!v) return;"
PLAY = f"(e) => {{ {VIDEO} v.play().catch(() => {{}}); }}"  # muted: no user gesture needed
STOP = f"(e) => {{ {VIDEO} v.pause(); v.currentTime = 0; }}"


def vertical_tile(clip: Clip, on_open: Callable[[Clip], object]) -> ui.element:
    poster = clip_file_url(clip, "jpg") if clip.thumbnail_path else PLACEHOLDER_THUMBNAIL
    with (
        ui.element("div")
        .classes("w-full flex flex-col gap-1 cursor-pointer")
        .mark(f"tile-{clip.id}")
        .props(f"data-tile={clip.id}")
        .on("click", lambda: on_open(clip))
        .on("mouseenter", js_handler=PLAY)
        .on("mouseleave", js_handler=STOP)
    ) as tile:
        with (
            ui.element("div")
            .classes("relative w-full rounded overflow-hidden bg-black")
            .style("aspect-ratio: 9 / 16")
            .mark(f"tile-picture-{clip.id}")
        ):
            if clip.video_path:  # the muted preview, fetched only when it plays
                ui.element("video").props(
                    f'src="{clip_file_url(clip, "mp4")}" poster="{poster}" muted loop playsinline '
                    "preload=none"
                ).classes("absolute inset-0 w-full h-full object-cover")
            else:
                ui.image(poster).classes("absolute inset-0 w-full h-full").props("fit=cover")
            with ui.element("div").classes("absolute top-1 right-1"):
                score_badge(clip.score)
        title = ui.label(clip.title).classes(
            "text-sm font-medium leading-tight text-grey-9 break-words"
        )
        hint(title, clip.title)
    return tile
