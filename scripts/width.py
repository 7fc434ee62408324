from convstudy.build import width_sweeps
from convstudy.logs import rule_log

with rule_log(snakemake.log[0]) as log:
    width_sweeps(
        snakemake.params.comparisons,
        snakemake.input,
        snakemake.output.table,
        snakemake.output.markdown,
        snakemake.output.figure,
        log,
    )
