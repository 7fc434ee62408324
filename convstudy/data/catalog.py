"""What each dataset is made of: its files, their canonical checksums, its official download.

Checksums are of the DECOMPRESSED content, which every source must reproduce byte for byte
(mirrors and distribution packages often recompress the .gz files, so those differ).
"""

from dataclasses import dataclass, field

IDX_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}

CIFAR100_MEMBERS = ("train", "test", "meta")


@dataclass(frozen=True)
class Download:
    """An official download: base URLs tried in order, and the published md5 of each file."""

    base_urls: tuple[str, ...]
    archive_md5: dict[str, str]


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    title: str
    kind: str  # "idx" (four gzipped IDX files) or "cifar100" (one tar.gz of pickles)
    content_md5: dict[str, str]
    download: Download
    label_sets: tuple[str, ...] = ("class",)
    class_names: tuple[str, ...] = field(default=())
    homepage: str = ""


MNIST = DatasetInfo(
    name="mnist",
    title="MNIST",
    kind="idx",
    content_md5={
        "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
        "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
        "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
        "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
    },
    download=Download(
        base_urls=(
            "https://ossci-datasets.s3.amazonaws.com/mnist/",
            "http://yann.lecun.com/exdb/mnist/",
        ),
        archive_md5={
            "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
            "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
            "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
            "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
        },
    ),
    class_names=tuple(str(d) for d in range(10)),
    homepage="http://yann.lecun.com/exdb/mnist/",
)

FASHION_MNIST = DatasetInfo(
    name="fashion_mnist",
    title="Fashion-MNIST",
    kind="idx",
    content_md5={
        "train-images-idx3-ubyte": "f4a8712d7a061bf5bd6d2ca38dc4d50a",
        "train-labels-idx1-ubyte": "9018921c3c673c538a1fc5bad174d6f9",
        "t10k-images-idx3-ubyte": "8181f5470baa50b63fa0f6fddb340f0a",
        "t10k-labels-idx1-ubyte": "15d484375f8d13e6eb1aabb0c3f46965",
    },
    download=Download(
        base_urls=("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
        archive_md5={
            "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
            "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
            "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
            "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
        },
    ),
    class_names=(
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ),
    homepage="https://github.com/zalandoresearch/fashion-mnist",
)

CIFAR100 = DatasetInfo(
    name="cifar100",
    title="CIFAR-100",
    kind="cifar100",
    content_md5={
        "train": "16019d7e3df5f24257cddd939b257f8d",
        "test": "f0ef6b0ae62326f3e7ffdfab6717acfc",
        "meta": "7973b15100ade9c7d40fb424638fde48",
    },
    download=Download(
        base_urls=("https://www.cs.toronto.edu/~kriz/",),
        archive_md5={"cifar-100-python.tar.gz": "eb9058c3a382ffc7106e4002c42a8d85"},
    ),
    label_sets=("fine", "coarse"),
    homepage="https://www.cs.toronto.edu/~kriz/cifar.html",
)

CIFAR100_ARCHIVE = "cifar-100-python.tar.gz"

DATASETS = {info.name: info for info in (MNIST, FASHION_MNIST, CIFAR100)}


def dataset_info(name: str) -> DatasetInfo:
    try:
        return DATASETS[name]
    except KeyError:
        known = ", ".join(sorted(DATASETS))
        raise ValueError(f"unknown dataset {name!r}; known datasets: {known}") from None
