"""How numbers are written in the report's sentences and tables."""

import math

from convstudy import models


def finite(value) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def mean_std(mean: float, std: float, digits: int = 3) -> str:
    """'0.812 ± 0.004', or just the mean when there is no spread (a single seed)."""
    if finite(std):
        return f"{mean:.{digits}f} ± {std:.{digits}f}"
    return f"{mean:.{digits}f}"


def signed(value: float, digits: int) -> str:
    """'+0.012' / '-0.012', and '0.000' (not '-0.000') for what rounds to zero."""
    rounded = round(value, digits)
    return f"{rounded:+.{digits}f}" if rounded != 0 else f"{0:.{digits}f}"


def count(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def plus_minus(mean, std, digits):
    if not finite(mean):
        return ""
    return mean_std(mean, std, digits)


# Settings as the report names them (config.yaml's keys and values are for the workflow).
_SETTING_WORDS = {
    ("activation", "relu"): "ReLU",
    ("activation", "sigmoid"): "sigmoid",
    ("pooling", "max"): "max pooling",
    ("pooling", "avg"): "average pooling",
    ("optimizer", "sgd"): "SGD",
    ("optimizer", "nesterov"): "SGD with Nesterov momentum",
    ("optimizer", "adam"): "Adam",
    ("batchnorm", "True"): "batch normalization",
    ("batchnorm", "False"): "no batch normalization",
    ("data_path", "memory"): "in-memory data",
    ("data_path", "loader"): "DataLoader",
    ("hybridize", "True"): "hybridized",
    ("hybridize", "False"): "imperative",
}
_SETTING_NAMES = {
    "lr": "learning rate {}",
    "momentum": "momentum {}",
    "batch_size": "batch {}",
    "width": "width x{}",
    "workers": "{} loader workers",
    "image_size": "{} px images",
    "epochs": "{} epochs",
    "dropout": "dropout {}",
    "weight_decay": "weight decay {}",
}
# Frameworks and datasets; a model is named by its NAME (convstudy.models).
_NAMES = {
    "mxnet": "MXNet",
    "torch": "PyTorch",
    "mnist": "MNIST",
    "fashion_mnist": "Fashion-MNIST",
    "cifar100_fine": "CIFAR-100 (fine)",
    "cifar100_coarse": "CIFAR-100 (coarse)",
}


def plain_setting(text: str) -> str:
    """'lr 0.9, pooling max, batchnorm False' -> 'learning rate 0.9, max pooling, no batch
    normalization' (an arm's `setting` column in plain words)."""
    if not text or text == "same settings":
        return text
    words = []
    for pair in text.split(", "):
        key, _, value = pair.partition(" ")
        if (key, value) in _SETTING_WORDS:
            words.append(_SETTING_WORDS[key, value])
        elif key in _SETTING_NAMES:
            words.append(_SETTING_NAMES[key].format(value))
        else:
            words.append(pair.replace("_", " "))
    return ", ".join(words)


def plain_name(label: str) -> str:
    """'fashion_mnist/<model>-torch' -> 'Fashion-MNIST, <the model's NAME>, PyTorch'; other
    names with their underscores as spaces."""
    parts = [p for part in label.split("/") for p in part.split("-")]
    return ", ".join(_plain_part(p) for p in parts)


def _plain_part(part: str) -> str:
    if part in _NAMES:
        return _NAMES[part]
    if part in models.registry():
        return models.display_name(part)
    return part.replace("_", " ")


def arm_name(row) -> str:
    """How the report names an arm: 'base' (with what sets it apart in its comparison), its
    label from config.yaml, else the settings that set it apart in plain words, else its model
    and framework ('<model>, PyTorch' where only the framework differs)."""
    label, setting = str(row["label"]), str(row.get("setting", ""))
    differs = bool(setting) and setting != "same settings"
    variant = str(row.get("arm", "")).rsplit("/", 1)[-1]
    if label == "base":
        return f"base ({plain_setting(setting)})" if differs else "base"
    if label == variant or "/" in label or "-" in label and "-" not in variant:
        # No label of its own: the label is the variant's name or the arm's other parts.
        if label == variant and differs:
            return plain_setting(setting)
        return plain_name(label)
    return label


def agreement(what: str, largest: float) -> str:
    """'x and y agree exactly' or 'x and y agree to within 1.2e-07'."""
    if largest == 0:
        return f"{what} agree exactly"
    return f"{what} agree to within {largest:.1e}"
