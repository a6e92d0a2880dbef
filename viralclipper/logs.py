"""Log lines for people (`LOG_FORMAT=text`) or for collectors (`LOG_FORMAT=json`: one JSON
object a line, with `job_id`, `stage` and `seconds` where a line carries them)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from viralclipper.config import get_settings

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
FIELDS = ("job_id", "stage", "seconds", "worker")  # the `extra=` keys that go into JSON lines


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update({k: getattr(record, k) for k in FIELDS if hasattr(record, k)})
        if record.exc_info:
            line["traceback"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def configure_logging(level: int = logging.INFO) -> None:
    """The root logger's one handler, in LOG_FORMAT, at `level`."""
    handler = logging.StreamHandler()
    if get_settings().log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
