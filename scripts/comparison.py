from convstudy.build import comparison
from convstudy.logs import rule_log

with rule_log(snakemake.log[0]) as log:
    comparison(
        snakemake.wildcards.name,
        snakemake.params.comparison,
        snakemake.input.metrics,
        snakemake.input.timings,
        snakemake.output.table,
        snakemake.output.markdown,
        snakemake.output.html,
        snakemake.output.figure,
        log,
    )
