from convstudy.activations import build_activation_maps
from convstudy.logs import rule_log

with rule_log(snakemake.log[0]) as log:
    build_activation_maps(
        snakemake.input.metrics,
        snakemake.input.weights,
        snakemake.input.dataset,
        snakemake.params.samples,
        snakemake.output.table,
        snakemake.output.figure,
        log,
    )
