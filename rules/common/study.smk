# The study (convstudy.plan.Study): built once, here, from the config and what this machine has;
# every rule asks it what runs. A bad setting stops the load with one message naming it.

import json
from functools import cache
from pathlib import Path

from convstudy.backends import installed_with_gpu_support
from convstudy.environment import gpu_names
from convstudy.plan import SHOWCASE_DATASETS, Study

# What the invocation that submitted a cluster job saw of GPUs: the job, on another node, decides
# with it, so that its plan (which comparisons run) is the one it was submitted with.
GPU_FACTS = Path(".snakemake") / "convstudy" / "gpus.json"


@cache
def gpu_facts():
    """(GPUs Snakemake may hand out, GPUs nvidia-smi lists here, why none are listed), asked
    once per invocation, and only when a requested target needs to know."""
    if workflow.remote_exec and GPU_FACTS.is_file():
        return tuple(json.loads(GPU_FACTS.read_text()))
    given = workflow.global_resources["gpu"] if "gpu" in set(workflow.global_resources) else 0
    facts = (int(getattr(given, "value", given) or 0), *gpu_names())
    if not workflow.remote_exec:
        GPU_FACTS.parent.mkdir(parents=True, exist_ok=True)
        GPU_FACTS.write_text(json.dumps(facts))
    return facts


STUDY = checked(
    Study,
    config,
    dataset_status,
    gpu_facts,
    installed_with_gpu_support,
    tuple(EDGE_IMAGES.images),
)
# A comparison whose arms ran different seeds is compared unpaired; said now, in case it was not
# meant.
for _unpaired in STUDY.unpaired_warnings():
    logger.warning(_unpaired)
