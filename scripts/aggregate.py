from convstudy.build import aggregate
from convstudy.logs import rule_log

with rule_log(snakemake.log[0]) as log:
    aggregate(
        snakemake.input.metrics,
        snakemake.input.timings,
        dict(zip(snakemake.params.comparisons, snakemake.input.comparison_tables, strict=True)),
        snakemake.output.runs,
        snakemake.output.runs_markdown,
        snakemake.output.runs_html,
        snakemake.output.epochs,
        snakemake.output.timings,
        snakemake.output.comparisons,
        snakemake.output.comparisons_markdown,
        snakemake.output.comparisons_html,
        log,
    )
