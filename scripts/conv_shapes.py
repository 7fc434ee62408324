from convstudy.experiments.conv_shapes import build_conv_shapes
from convstudy.logs import rule_log

with rule_log(snakemake.log[0]) as log:
    build_conv_shapes(
        snakemake.output.table, snakemake.output.markdown, snakemake.output.figure, log
    )
