from convstudy.build import time_alone
from convstudy.logs import rule_log

with rule_log(snakemake.log[0]) as log:
    time_alone(
        snakemake.params.settings,
        snakemake.input.dataset,
        snakemake.params.timing,
        snakemake.threads,
        snakemake.output[0],
        log,
    )
