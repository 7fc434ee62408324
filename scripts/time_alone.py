from convstudy.threads import use_threads

# Every core is reserved so that nothing runs beside this job; it trains on the run's threads.
use_threads(snakemake.params.settings["threads"])

from convstudy.logs import rule_log  # noqa: E402
from convstudy.settings import RunSettings  # noqa: E402
from convstudy.speed import measure_to_file  # noqa: E402

with rule_log(snakemake.log[0]) as log:
    measure_to_file(
        RunSettings.from_dict(snakemake.params.settings),
        snakemake.input.dataset,
        snakemake.params.timing,
        snakemake.threads,
        snakemake.output[0],
        log,
    )
