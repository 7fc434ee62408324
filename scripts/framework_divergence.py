from convstudy.build import framework_divergence
from convstudy.logs import rule_log

with rule_log(snakemake.log[0]) as log:
    framework_divergence(
        snakemake.params.networks,
        snakemake.input.dataset,
        snakemake.params.steps,
        snakemake.output.result,
        snakemake.output.table,
        log,
    )
