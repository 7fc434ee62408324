from convstudy.analysis import build_comparison
from convstudy.logs import rule_log

with rule_log(snakemake.log[0]) as log:
    build_comparison(
        snakemake.wildcards.name,
        snakemake.params.comparison,
        snakemake.input,
        snakemake.output.table,
        snakemake.output.markdown,
        snakemake.output.html,
        snakemake.output.figure,
        log,
    )
