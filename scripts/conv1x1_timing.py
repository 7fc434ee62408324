from convstudy.logs import rule_log
from convstudy.sections.conv1x1 import build_conv1x1

with rule_log(snakemake.log[0]) as log:
    build_conv1x1(
        snakemake.output.table,
        snakemake.output.markdown,
        snakemake.output.figure,
        snakemake.threads,
        log,
    )
