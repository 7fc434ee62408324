"""Where the two frameworks of a comparison part ways, and why: the sentences and the table of
its divergence diagnostic (convstudy.divergence, results/divergence/<name>.json)."""

import pandas as pd

from convstudy.report.wording import count

FRAMEWORK_NAMES = {"mxnet": "MXNet", "torch": "PyTorch"}
ACTIVATIONS = {"relu": "ReLU", "sigmoid": "sigmoid"}
POOLING = {"max": "max pooling", "avg": "average pooling"}
TIES = {"first": "its first largest value", "last": "its last largest value", "all": "every one"}


def network_name(entry: dict) -> str:
    activation = ACTIVATIONS.get(entry["activation"], entry["activation"])
    return f"{activation} with {POOLING.get(entry['pooling'], entry['pooling'] + ' pooling')}"


def framework_names(result: dict) -> list[str]:
    return [FRAMEWORK_NAMES.get(f, f) for f in result["frameworks"]]


def _layer(entry: dict, index: int) -> str:
    return f"layer {index + 1} of {len(entry['layers'])}"


def _values(values: list[float]) -> str:
    """A window's two contenders: 'a tie at x' or 'x and y'."""
    a, b = values
    return f"a tie at {a:.9g}" if a == b else f"{a:.9g} and {b:.9g}"


def choice_text(entry: dict, names: list[str], short: bool = False) -> str:
    """What the layer where the frameworks parted chose differently, from its evidence; '' where
    there is none (a layer that does not choose). short: for a table cell."""
    first = entry["first"]
    evidence = first.get("evidence") or {}
    example = list(evidence.get("example", {}).values())
    if evidence.get("kind") == "max_pool_choice" and example:
        if short:
            return (
                f"max pooling: another element in {evidence['windows']:,} of "
                f"{evidence['of']:,} windows; its two largest values {_values(example[0])} "
                f"({names[0]}), {_values(example[1])} ({names[1]})"
            )
        return (
            f"max pooling ({_layer(entry, first['layer'])}) sent the gradient of "
            f"{count(evidence['windows'], 'window')} of {evidence['of']:,} to another element: "
            f"the window's two largest values were {_values(example[0])} in {names[0]} and "
            f"{_values(example[1])} in {names[1]} (in any such window the two were within "
            f"{evidence['largest_share_apart']:.1e} of the layer's largest input of each other)"
        )
    if evidence.get("kind") == "relu_choice" and example:
        if short:
            return (
                f"ReLU: {evidence['elements']:,} of {evidence['of']:,} inputs on the other side "
                f"of 0; {example[0]:.2g} ({names[0]}), {example[1]:.2g} ({names[1]})"
            )
        return (
            f"ReLU ({_layer(entry, first['layer'])}) passed back the gradient of "
            f"{count(evidence['elements'], 'input')} of {evidence['of']:,} in one framework and "
            f"not in the other: the input was {example[0]:.2g} in {names[0]} and "
            f"{example[1]:.2g} in {names[1]}, within {evidence['largest_share_of_input']:.1e} "
            "of the layer's largest input"
        )
    return ""


def network_text(entry: dict, names: list[str], compared: str | None = None) -> str:
    """One network: where the frameworks parted, and what was chosen differently; or how close
    they stayed."""
    name = network_name(entry)
    name = name[0].upper() + name[1:]
    if entry["variant"] == compared:
        name += " (the arms compared here)"
    first = entry["first"]
    if first is None:
        largest = entry["largest_relative_difference"]["relative_difference"]
        return (
            f"{name}: no value differs in {count(entry['steps_traced'], 'step')}; the largest "
            f"difference, {largest:.1e} of a value's size, is float rounding accumulated over "
            "the steps."
        )
    choice = choice_text(entry, names)
    where = (
        choice
        if choice
        else f"{first['described']} differs in {count(first['moved'], 'element')} of "
        f"{first['of']:,}"
    )
    return f"{name}: within float rounding until step {first['step']}, where {where}."


def rules_text(rules: dict, names: list[str]) -> tuple[str, bool]:
    """How each framework handles an exactly tied max-pooling window and ReLU at exactly 0
    (measured on hand-made inputs), and whether the two agree."""
    own = [rules[framework] for framework in rules]
    if own[0] == own[1]:
        relu = "no gradient" if own[0]["relu_gradient_at_zero"] == 0 else "a gradient"
        return (
            "On hand-made inputs both frameworks send the gradient of a max-pooling window whose "
            f"largest value is exactly tied to {TIES.get(own[0]['max_pool_ties'], 'one of them')}"
            f" and give ReLU {relu} at exactly 0: the same rules, so exact ties are not what "
            "sets them apart",
            True,
        )
    parts = [
        f"{name} sends a tied window's gradient to "
        f"{TIES.get(mine['max_pool_ties'], 'one of its largest values or another')} and passes "
        f"{mine['relu_gradient_at_zero']:g} of ReLU's gradient at exactly 0"
        for name, mine in zip(names, own, strict=True)
    ]
    return "On hand-made inputs " + "; ".join(parts), False


def findings(result: dict, compared: str | None = None) -> list[str]:
    """Why the frameworks part ways: the first step and layer on each network, the frameworks'
    rules for exact ties, and the cause these show. compared: the variant of the comparison's
    arms."""
    names = framework_names(result)
    networks = result["networks"]
    sentences = [
        f"Where {names[0]} and {names[1]} part ways: both trained each network below from seed "
        f"{result['seed']}'s initial weights on the same batches, one step at a time, and "
        "every layer's output and gradient was compared."
    ]
    sentences += [network_text(entry, names, compared) for entry in networks]
    rules, same = rules_text(result["rules"], names)
    parted = [entry for entry in networks if entry["first"]]
    stayed = [entry for entry in networks if not entry["first"]]
    chose = all(choice_text(entry, names) for entry in parted)
    if not (same and parted and chose):
        return [*sentences, rules + "."]
    shown = next((e for e in parted if e["variant"] == compared), parted[0])
    inexact = shown.get("first_inexact")
    last_bits = (
        f" (in {network_name(shown)}, first {inexact['described']} at step 1)" if inexact else ""
    )
    cause = (
        f"{rules}. What does is rounding: each framework sums in its own order and computes exp "
        "(in sigmoid and softmax) its own way, so from the same weights their values differ in "
        f"the last bits{last_bits}. Where a window's two largest values, or a ReLU's input and "
        "0, are closer than that, the two choose differently and a whole element of the "
        "gradient moves; from that step on their weights differ by more than rounding."
    )
    if stayed:
        cause += (
            f" With {' and '.join(network_name(e) for e in stayed)} no layer chooses, and the "
            "two stay within float rounding."
        )
    sentences.append(cause)
    sentences.append(
        "No setting of either framework makes its rounding that of the other, so none makes "
        "these runs agree: a difference in accuracy between them is one between two runs that "
        "split at such a step, not the effect of a rule either framework follows."
    )
    return sentences


def display(result: dict) -> pd.DataFrame:
    """The table the report shows: one row per network."""
    names = framework_names(result)
    rows = []
    for entry in result["networks"]:
        first = entry["first"] or {}
        inexact = entry.get("first_inexact") or {}
        rows.append(
            {
                "Network": network_name(entry),
                "Learning rate, batch": f"{entry['lr']:g}, {entry['batch_size']}",
                "First value not bit-equal (step 1)": inexact.get("described", "none"),
                "Steps compared": entry["steps_traced"],
                "First step apart": first.get("step", ""),
                "First value apart": first.get("described", ""),
                "What was chosen differently": (
                    choice_text(entry, names, short=True) if first else ""
                ),
                "Largest difference before": (
                    f"{entry['largest_relative_difference']['relative_difference']:.1e}"
                ),
            }
        )
    return pd.DataFrame(rows)
