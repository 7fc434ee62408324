from pathlib import Path

from convstudy.data.cache import load_task
from convstudy.logs import rule_log
from convstudy.train import RunFiles, train

settings = snakemake.params.settings
with rule_log(snakemake.log[0]) as log:
    train(
        settings,
        load_task(snakemake.input.dataset, settings["dataset"]),
        RunFiles(
            metrics=Path(snakemake.output.metrics),
            predictions=Path(snakemake.output.predictions),
            weights=Path(snakemake.output.weights),
            checkpoints=Path(snakemake.params.checkpoints),
        ),
        log,
    )
