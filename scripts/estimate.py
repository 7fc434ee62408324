from convstudy.threads import use_threads

# Every core is reserved so that nothing runs beside this job; it trains on the runs' threads.
use_threads(max([1, *(job.get("threads", 1) for job in snakemake.params.planned)]))

from convstudy.logs import rule_log  # noqa: E402
from convstudy.speed import estimate_build_to_files  # noqa: E402

with rule_log(snakemake.log[0]) as log:
    estimate_build_to_files(
        snakemake.params.planned,
        snakemake.threads,
        snakemake.params.batches,
        snakemake.output.json,
        snakemake.output.markdown,
        log,
    )
