from convstudy.data import catalog
from convstudy.data.cache import build
from convstudy.logs import rule_log

with rule_log(snakemake.log[0]) as log:
    build(
        catalog.dataset_info(snakemake.wildcards.dataset),
        snakemake.params.sources,
        snakemake.params.content_md5,
        snakemake.output[0],
        log,
    )
