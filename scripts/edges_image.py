from convstudy.experiments.edges import build_image_edges
from convstudy.logs import rule_log

with rule_log(snakemake.log[0], about=snakemake.params.source) as log:
    build_image_edges(
        snakemake.wildcards.image,
        snakemake.params.source,
        snakemake.params.max_side,
        snakemake.output.figure,
        snakemake.output.table,
        log,
    )
