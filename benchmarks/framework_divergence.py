"""Where MXNet and PyTorch part ways on LeNet, and why: the workflow's divergence diagnostic
(convstudy.divergence, rule framework_divergence) from the command line, on any seed and any
variants, printing a line per network.

    .venv/bin/python -m benchmarks.framework_divergence
    .venv/bin/python -m benchmarks.framework_divergence --seed 2 --steps 100
    .venv/bin/python -m benchmarks.framework_divergence --variants base textbook --json out.json

Both frameworks train each variant of the comparison's arm from the same initial weights on the
same batches (config.yaml's settings, the full preset's unless --preset), one step at a time;
the first value that one framework gives a share of a gradient the other gives exactly none
names the step and layer, with what max pooling or ReLU chose differently there. It also prints
how each framework routes an exactly tied max-pooling window and ReLU's gradient at exactly 0,
measured on hand-made inputs. Fashion-MNIST comes from the workflow's cache (results/datasets)
or Debian's package, else same-shaped noise (said in the output).
"""

import argparse
import json
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent


def networks(comparison: str, variants, seed, preset: str, device: str) -> tuple[list, int]:
    """The networks to trace as the workflow's divergence_networks gives them, and the steps."""
    from convstudy.config import apply_preset
    from convstudy.plan import Study

    config = yaml.safe_load((REPO / "config.yaml").read_text())
    config = apply_preset(dict(config, preset=preset))
    declared = config["comparisons"][comparison]
    if variants:
        declared["divergence"] = dict(declared["divergence"], variants=list(variants))
    if seed is not None:
        declared["seeds"] = [seed]
    traced = Study(config).divergence_networks(comparison)
    for network in traced:
        network["settings"] = {
            framework: dict(settings, device=device)
            for framework, settings in network["settings"].items()
        }
    return traced, declared["divergence"]["steps"]


def summary(result: dict) -> str:
    from convstudy.report.divergence import choice_text, framework_names, network_name

    names = framework_names(result)
    lines = [f"{result['dataset']}, {result['model']}, seed {result['seed']}:"]
    for entry in result["networks"]:
        first = entry["first"]
        largest = entry["largest_relative_difference"]["relative_difference"]
        if first is None:
            lines.append(
                f"  {network_name(entry)}: no value differs in {entry['steps_traced']} steps "
                f"(largest relative difference {largest:.1e})"
            )
            continue
        lines.append(
            f"  {network_name(entry)}: step {first['step']}, {first['described']} "
            f"({first['moved']} of {first['of']:,} elements moved)"
        )
        choice = choice_text(entry, names)
        if choice:
            lines.append(f"    {choice}")
    for framework, rules in result["rules"].items():
        lines.append(
            f"  {framework}: exact max-pool ties go to the {rules['max_pool_ties']} largest value;"
            f" ReLU passes {rules['relu_gradient_at_zero']:g} of its gradient at exactly 0"
        )
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--comparison", default="lenet_frameworks")
    parser.add_argument("--variants", nargs="+", help="default: the comparison's divergence:")
    parser.add_argument("--seed", type=int, help="default: the comparison's first seed")
    parser.add_argument("--steps", type=int, help="default: the comparison's divergence: steps")
    parser.add_argument("--preset", default="full", help="config.yaml preset (quick: 1,000 images)")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda", "auto"])
    parser.add_argument("--json", help="also write the result here")
    args = parser.parse_args()

    from benchmarks.throughput import load_fashion_mnist
    from convstudy import divergence

    traced, steps = networks(args.comparison, args.variants, args.seed, args.preset, args.device)
    dataset, data_note = load_fashion_mnist()
    print(f"data: {data_note}", flush=True)
    result = divergence.diagnose(traced, dataset, args.steps or steps, log=lambda _: None)
    print(summary(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
