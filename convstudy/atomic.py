"""Writing output files so that no reader, and no rerun, ever sees a half-written one."""

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success it is renamed to `path`, else removed.

    The rename is atomic within a folder, so `path` either keeps its old content or gets the
    complete new one, even if the writer is killed halfway.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    os.close(handle)
    os.chmod(temporary, 0o644)  # mkstemp makes it private; outputs are for everyone to read
    try:
        yield Path(temporary)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def write_text(path: str | Path, text: str) -> None:
    with atomic_path(path) as temporary:
        temporary.write_text(text)


def write_table(
    table, csv_path: str | Path, markdown_path: str | Path | None = None, floatfmt: str = ".4g"
) -> None:
    """A pandas DataFrame as CSV (no index, full precision) and optionally as a Markdown table."""
    with atomic_path(csv_path) as temporary:
        table.to_csv(temporary, index=False)
    if markdown_path is not None:
        write_text(markdown_path, table.to_markdown(index=False, floatfmt=floatfmt) + "\n")


def save_figure(figure, path: str | Path, dpi: int = 100) -> None:
    """A matplotlib Figure as PNG, its smallest font in its metadata (convstudy.plots)."""
    from convstudy import plots  # matplotlib only where figures are written

    plots.save_figure(figure, path, dpi)
