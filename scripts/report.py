from convstudy.logs import rule_log
from convstudy.report import build_report

with rule_log(snakemake.log[0]) as log:
    build_report(snakemake.params.plan, snakemake.output[0], log)
