from convstudy.build import architectures
from convstudy.logs import rule_log

with rule_log(snakemake.log[0]) as log:
    architectures(snakemake.params.architectures, snakemake.output[0], log)
