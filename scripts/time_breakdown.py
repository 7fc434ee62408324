from convstudy.analysis import build_time_breakdown
from convstudy.logs import rule_log

with rule_log(snakemake.log[0]) as log:
    build_time_breakdown(
        snakemake.input,
        snakemake.output.table,
        snakemake.output.markdown,
        snakemake.output.figure,
        log,
    )
