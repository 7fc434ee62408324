from convstudy.logs import rule_log
from convstudy.sections.conv1x1 import build_im2col

with rule_log(snakemake.log[0]) as log:
    build_im2col(
        snakemake.output.table,
        snakemake.output.markdown,
        snakemake.output.figure,
        snakemake.threads,
        log,
    )
