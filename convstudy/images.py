"""Photographs for the edge-detection section: a folder of the user's images, or six defaults.

The defaults are real photographs shipped as data files inside the scikit-image wheel (public
domain / CC0): astronaut, camera, coffee, chelsea, rocket, hubble_deep_field. Only the files are
read: scikit-image is installed without its dependencies, so its code is never imported.

A user's folder is listed without recursing into subfolders; hidden files (.DS_Store, ...) are
ignored. What counts as an image is decided by OpenCV from each file's first bytes (its
signature), not its extension, which is cheap enough to do when the workflow loads:
  - a file no OpenCV decoder recognizes (notes.txt, a PDF, a sidecar .xmp) is SKIPPED with a
    warning naming it: folders of photographs often carry such files, and they were never meant
    as input;
  - a file that looks like an image but cannot be decoded (truncated, corrupt) FAILS its job with
    a message naming it: the user meant it as input, and silently leaving it out would make the
    tables quietly describe fewer images than the folder holds.
  - a missing folder, or one without any image, fails when the workflow loads.

An image is named in the results by its file stem. Snakemake reads braces in a path as a
wildcard, so a stem with braces (or control characters, which no results path should carry) gets
a results name with those replaced, and a warning says which: the file `br{ace}.png` becomes the
figure `br(ace).png`. A file whose name is not valid UTF-8 (which OpenCV cannot open by name) is
skipped with a warning naming it.

A transparent image is composited onto white, as an image viewer shows it: a fully transparent
pixel is white whatever colour it stores (often black), a half transparent one half way to white.

Colour becomes grey the standard way, ITU-R BT.601 luma Y = 0.299 R + 0.587 G + 0.114 B
(cv2.cvtColor COLOR_BGR2GRAY), computed in floating point on values scaled to [0, 1].
"""

import importlib.util
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from convstudy.config import ConfigError
from convstudy.errors import UserError

SKIMAGE_SOURCE = "skimage"
SKIMAGE_PHOTOGRAPHS = {
    "astronaut": "astronaut.png",
    "camera": "camera.png",
    "coffee": "coffee.png",
    "chelsea": "chelsea.png",
    "rocket": "rocket.jpg",
    "hubble_deep_field": "hubble_deep_field.jpg",
}
CONFIG_KEY = "edges.images"


class ImageError(UserError):
    """An image file cannot be read; the message names it and what to do."""


@dataclass
class ImageListing:
    """The images found for a source, by name (file stem), and the files passed over, with why.

    renamed: the files whose results name is not their stem (see results_name), with that name.
    """

    images: dict[str, Path]
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    renamed: list[tuple[Path, str]] = field(default_factory=list)


# Characters a results name may not carry: braces, which Snakemake reads as a wildcard.
_BRACES = {"{": "(", "}": ")"}


def results_name(stem: str) -> str:
    """The name an image goes by in the results (figure, table, log): its stem, with braces
    made round brackets and any control character (a newline, a tab) made '_'."""
    return "".join(_BRACES.get(c, c if c.isprintable() else "_") for c in stem)


def shown(path: Path | str) -> str:
    """A path as a log line can print it, whatever bytes its name holds."""
    return str(path).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def tracked_path(path: Path, name: str, links: Path) -> Path:
    """The path Snakemake is given for an image: the file itself, or, where its path holds a
    brace (which Snakemake would read as a wildcard), a link to it in links, named by its results
    name. The link is made, or pointed at path again, here."""
    if not any(c in str(path) for c in "{}"):
        return path
    link = links / f"{name}{''.join(path.suffixes[-1:])}"
    target = path.resolve()
    if not (link.is_symlink() and Path(os.readlink(link)) == target):
        links.mkdir(parents=True, exist_ok=True)
        link.unlink(missing_ok=True)
        link.symlink_to(target)
    return link


def _utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # bytes that are not UTF-8, decoded by Python as surrogates
        return False
    return True


@dataclass
class Photograph:
    """One image ready for edge detection."""

    name: str
    path: Path
    rgb: np.ndarray  # H x W x 3 float32 in [0, 1] for display (grey images repeated 3 times)
    grey: np.ndarray  # H x W float64 in [0, 1]
    original_size: tuple[int, int]  # height, width as stored, before any downscaling


def skimage_data_dir() -> Path:
    """scikit-image's data folder, located without importing the package."""
    spec = importlib.util.find_spec("skimage")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(
            f"{CONFIG_KEY}: {SKIMAGE_SOURCE!r} means the photographs shipped in scikit-image, "
            "which is not installed. Install it (pip install --no-deps scikit-image==0.26.0, see "
            f"envs/requirements-data.txt) or set {CONFIG_KEY} to a folder of your own images."
        )
    return Path(list(spec.submodule_search_locations)[0]) / "data"


def list_images(source: str) -> ImageListing:
    """The images of a source: 'skimage' (the six defaults) or a folder path (~ expanded).

    Cheap: reads at most a few bytes per file. Raises ConfigError naming edges.images when the
    source has no image to offer.
    """
    if source == SKIMAGE_SOURCE:
        folder = skimage_data_dir()
        images = {name: folder / filename for name, filename in SKIMAGE_PHOTOGRAPHS.items()}
        missing = [str(path) for path in images.values() if not path.is_file()]
        if missing:
            raise ConfigError(
                f"{CONFIG_KEY}: scikit-image is installed but lacks {', '.join(missing)}; "
                f"reinstall scikit-image==0.26.0 or set {CONFIG_KEY} to a folder of your images."
            )
        return ImageListing(images)
    return _list_folder(Path(os.path.expanduser(source)))


def _list_folder(folder: Path) -> ImageListing:
    import cv2

    how_to_fix = (
        f"Set {CONFIG_KEY} in config.yaml to a folder of images, or to {SKIMAGE_SOURCE!r} for "
        "the six default photographs."
    )
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        raise ConfigError(f"{CONFIG_KEY}: {folder} {what}. {how_to_fix}")
    images: dict[str, Path] = {}
    skipped: list[tuple[Path, str]] = []
    renamed: list[tuple[Path, str]] = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or not path.is_file():
            continue
        if not _utf8(path.name):
            # OpenCV would crash on such a name, and Snakemake cannot record it.
            skipped.append((path, "its name is not valid UTF-8; rename it to include it"))
            continue
        if not cv2.haveImageReader(str(path)):
            skipped.append((path, "not an image OpenCV can read (unrecognized file signature)"))
            continue
        name = results_name(path.stem)
        if name in images:
            raise ConfigError(
                f"{CONFIG_KEY}: {shown(images[name].name)} and {shown(path.name)} "
                f"in {shown(folder)} would both be named {name!r} in the results; rename one "
                "of them."
            )
        if name != path.stem:
            renamed.append((path, name))
        images[name] = path
    if not images:
        passed_over = "".join(f"\n  - {shown(path.name)}: {why}" for path, why in skipped)
        raise ConfigError(
            f"{CONFIG_KEY}: {folder} holds no image file"
            + (f"; passed over:{passed_over}\n" if skipped else ". ")
            + how_to_fix
        )
    return ImageListing(images, skipped, renamed)


def read_photograph(name: str, path: str | Path, max_side: int | None = None) -> Photograph:
    """Decode an image file into display colour and grey, both scaled to [0, 1].

    Integer images are divided by their type's maximum (255 or 65535). EXIF orientation is
    applied, and an image with an alpha channel is composited onto white. If max_side is set and
    the longer side exceeds it, the image is shrunk to that size with area averaging
    (cv2.INTER_AREA), which does not alias.
    """
    import cv2

    path = Path(path)
    # ANYDEPTH keeps 16-bit images; ANYCOLOR keeps grey images grey; neither ignores EXIF.
    decoded = cv2.imread(str(path), cv2.IMREAD_ANYDEPTH | cv2.IMREAD_ANYCOLOR)
    if decoded is None:
        raise ImageError(
            f"{path}: looks like an image but cannot be decoded (truncated or corrupt?). Replace "
            f"or remove it, or point {CONFIG_KEY} at another folder."
        )
    original_size = decoded.shape[:2]
    scaled = _to_unit(decoded)
    alpha = _alpha(path, decoded)
    if alpha is not None:
        opacity = alpha if scaled.ndim == 2 else alpha[:, :, None]
        scaled = scaled * opacity + (1.0 - opacity)  # onto white
    if max_side and max(original_size) > max_side:
        factor = max_side / max(original_size)
        size = (max(1, round(original_size[1] * factor)), max(1, round(original_size[0] * factor)))
        scaled = cv2.resize(scaled, size, interpolation=cv2.INTER_AREA)
    if scaled.ndim == 2:
        grey = scaled
        rgb = np.repeat(scaled[:, :, None], 3, axis=2)
    elif scaled.shape[2] == 3:
        grey = cv2.cvtColor(scaled, cv2.COLOR_BGR2GRAY)
        rgb = cv2.cvtColor(scaled, cv2.COLOR_BGR2RGB)
    else:
        raise ImageError(f"{path}: has {scaled.shape[2]} channels; expected 1, 3 or 4")
    return Photograph(
        name, path, np.clip(rgb, 0.0, 1.0), grey.astype(np.float64), tuple(original_size)
    )


def _to_unit(image: np.ndarray) -> np.ndarray:
    """float32, integer images divided by their type's maximum."""
    if np.issubdtype(image.dtype, np.integer):
        return image.astype(np.float32) / np.iinfo(image.dtype).max
    return image.astype(np.float32)


def _orientations(image: np.ndarray):
    """The eight ways an EXIF orientation can turn or mirror an image."""
    for turns in range(4):
        turned = np.rot90(image, turns)
        yield turned
        yield np.fliplr(turned)


def _alpha(path: Path, decoded: np.ndarray) -> np.ndarray | None:
    """The image's opacity in [0, 1], oriented as decoded is, or None when it has none.

    OpenCV drops the alpha channel unless asked for the file as stored (IMREAD_UNCHANGED),
    which also leaves EXIF orientation unapplied: the stored colour is turned the way that
    gives the decoded image, and the alpha with it."""
    import cv2

    stored = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if stored is None or stored.ndim != 3 or stored.shape[2] != 4:
        return None
    pairs = zip(_orientations(stored[:, :, :3]), _orientations(stored[:, :, 3]), strict=True)
    candidates = [(c, a) for c, a in pairs if c.shape[:2] == decoded.shape[:2]]
    if decoded.ndim == 3:
        exact = [a for c, a in candidates if np.array_equal(c, decoded)]
        if exact:
            return _to_unit(exact[0])
    return _to_unit(candidates[0][1]) if candidates else None
