"""Progress lines that go to the console and to a rule's log file at once."""

import sys
import time
import traceback
import warnings
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from pathlib import Path

from convstudy.errors import UserError


@contextmanager
def rule_log(path: str | Path | None, earlier: str = "", about: str | None = None):
    """Yield a log(message) function writing timestamped lines to stderr and to path.

    earlier: lines the file starts with (a resumed run's log before its interruption). If the block
    raises, the console gets one FAILED line and the job exits with status 1; the log file gets
    that line and the full traceback. Snakemake then prints the rule and the log's path, so a
    traceback on the console would only bury the message. A UserError's message says what is
    wrong and what to do on its own; any other error is named by its type, and by `about` (the
    input the job was working on) where its message does not name it.
    """
    stream = None
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        stream = open(path, "w", buffering=1)
        stream.write(earlier)

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
        message = str(error) if isinstance(error, UserError) else f"{type(error).__name__}: {error}"
        if about and str(about) not in message:
            message = f"{about}: {message}"
        log(f"FAILED: {message}")
        (stream or sys.stderr).write(traceback.format_exc())
        raise SystemExit(1) from None
    finally:
        if stream:
            stream.close()


def remove_stale_logs(
    folder: str | Path, current: Iterable[str], log: Callable[[str], None] = print
) -> list[Path]:
    """Remove the logs <name>.log in folder whose name is not in current, and return them.

    A job that failed on an input the user has since removed (a broken image taken out of the
    folder) leaves its log behind, where it would read as a failure of this run.
    """
    keep = {f"{name}.log" for name in current}
    stale = sorted(p for p in Path(folder).glob("*.log") if p.name not in keep)
    for path in stale:
        path.unlink()
        log(f"removed {path}: the log of an input that is no longer there")
    return stale
