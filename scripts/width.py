from convstudy.analysis import build_width
from convstudy.logs import rule_log

with rule_log(snakemake.log[0]) as log:
    build_width(
        snakemake.params.comparisons,
        snakemake.input,
        snakemake.output.table,
        snakemake.output.markdown,
        snakemake.output.figure,
        log,
    )
