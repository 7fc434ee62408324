from convstudy.threads import use_threads

# Every core is reserved so that nothing runs beside this job; it trains on the runs' threads.
use_threads(max(settings["threads"] for settings in snakemake.params.settings))

from convstudy.logs import rule_log  # noqa: E402
from convstudy.settings import RunSettings  # noqa: E402
from convstudy.speed import measure_comparison_to_file  # noqa: E402

with rule_log(snakemake.log[0]) as log:
    measure_comparison_to_file(
        [RunSettings.from_dict(settings) for settings in snakemake.params.settings],
        dict(snakemake.input.items()),
        snakemake.params.timing,
        snakemake.threads,
        snakemake.output[0],
        log,
    )
