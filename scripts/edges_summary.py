from convstudy.experiments.edges import build_edge_summary
from convstudy.logs import remove_stale_logs, rule_log

with rule_log(snakemake.log[0]) as log:
    build_edge_summary(
        snakemake.input.tables,
        snakemake.output.table,
        snakemake.output.markdown,
        snakemake.output.energy_figure,
        snakemake.output.kernels_figure,
        snakemake.params.skipped,
        log,
    )
    remove_stale_logs(snakemake.params.image_logs, snakemake.params.images, log)
