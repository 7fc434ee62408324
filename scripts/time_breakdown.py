from convstudy.build import time_breakdown
from convstudy.logs import rule_log

with rule_log(snakemake.log[0]) as log:
    time_breakdown(
        snakemake.input,
        snakemake.output.table,
        snakemake.output.markdown,
        snakemake.output.figure,
        snakemake.params.models,
        log,
    )
