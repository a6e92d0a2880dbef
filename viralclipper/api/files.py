"""Files served to their owner (the web app's media routes and the API's downloads): only files
inside the data dir; Starlette's FileResponse answers HTTP Range requests (206), so players seek."""

from __future__ import annotations

from pathlib import Path

from fastapi import HTTPException
from starlette.responses import FileResponse

from viralclipper.config import get_settings


def servable(path: str | None) -> Path:
    """The file, when it exists inside the data dir; else 404."""
    if not path:
        raise HTTPException(status_code=404, detail="Not found.")
    resolved = Path(path).resolve()
    if not resolved.is_file() or not resolved.is_relative_to(get_settings().data_dir.resolve()):
        raise HTTPException(status_code=404, detail="Not found.")
    return resolved


def file_response(
    path: str | None, media_type: str, filename: str | None = None, *, download: bool = False
) -> FileResponse:
    return FileResponse(
        servable(path),
        media_type=media_type,
        filename=filename if download else None,
        content_disposition_type="attachment" if download else "inline",
    )
