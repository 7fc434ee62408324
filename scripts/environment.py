from convstudy.build import environment
from convstudy.logs import rule_log

with rule_log(snakemake.log[0]) as log:
    environment(
        snakemake.input.metrics,
        snakemake.input.timings,
        snakemake.params.conditions,
        snakemake.params.costed,
        snakemake.input.estimate,
        snakemake.output[0],
        snakemake.output.cost,
        log,
    )
