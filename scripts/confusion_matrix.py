from convstudy.confusion import build_confusion
from convstudy.logs import rule_log

with rule_log(snakemake.log[0]) as log:
    build_confusion(
        snakemake.input.predictions,
        snakemake.input.dataset,
        snakemake.wildcards.dataset,
        snakemake.params.run,
        snakemake.output.table,
        snakemake.output.errors,
        snakemake.output.figure,
        log,
    )
