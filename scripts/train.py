from pathlib import Path

from convstudy.data.cache import load_task
from convstudy.logs import rule_log
from convstudy.settings import RunSettings
from convstudy.train import RunFiles, earlier_log, train

settings = RunSettings.from_dict(snakemake.params.settings)
files = RunFiles(
    metrics=Path(snakemake.output.metrics),
    predictions=Path(snakemake.output.predictions),
    weights=Path(snakemake.output.weights),
    checkpoints=Path(snakemake.params.checkpoints),
    log=Path(snakemake.log[0]),
)
# A resumed run's log starts with what the interrupted one logged up to its checkpoint.
with rule_log(files.log, earlier=earlier_log(files.checkpoints)) as log:
    train(settings, load_task(snakemake.input.dataset, settings.dataset), files, log)
