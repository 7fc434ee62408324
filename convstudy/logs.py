"""Progress lines that go to the console and to a rule's log file at once."""

import sys
import time
import warnings
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def rule_log(path: str | Path | None):
    """Yield a log(message) function writing timestamped lines to stderr and to path."""
    stream = None
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        stream = open(path, "w", buffering=1)

    def log(message: str) -> None:
        line = f"[{time.strftime('%H:%M:%S')}] {message}"
        print(line, file=sys.stderr, flush=True)
        if stream:
            stream.write(line + "\n")

    def show_warning(message, category, filename, lineno, file=None, line=None):
        log(f"WARNING: {message}")

    try:
        with warnings.catch_warnings():
            warnings.showwarning = show_warning  # warnings land in the log too
            yield log
    except Exception as error:
        log(f"FAILED: {error}")
        raise
    finally:
        if stream:
            stream.close()
