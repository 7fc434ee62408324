from convstudy.build import confusion_matrix
from convstudy.logs import rule_log

with rule_log(snakemake.log[0]) as log:
    confusion_matrix(
        snakemake.input.predictions,
        snakemake.input.dataset,
        snakemake.wildcards.dataset,
        snakemake.params.run,
        snakemake.output.table,
        snakemake.output.errors,
        snakemake.output.figure,
        log,
    )
