from convstudy.build import activation_maps
from convstudy.logs import rule_log

with rule_log(snakemake.log[0]) as log:
    activation_maps(
        snakemake.input.metrics,
        snakemake.input.weights,
        snakemake.input.dataset,
        snakemake.params.samples,
        snakemake.output.table,
        snakemake.output.channels,
        snakemake.output.figure,
        log,
    )
