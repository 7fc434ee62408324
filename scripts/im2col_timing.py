from convstudy.threads import use_threads

# Every core is reserved so that nothing runs beside this job; it computes on these threads.
use_threads(snakemake.params.compute_threads)

from convstudy.experiments.conv1x1 import build_im2col  # noqa: E402
from convstudy.logs import rule_log  # noqa: E402

with rule_log(snakemake.log[0]) as log:
    build_im2col(
        snakemake.output.table,
        snakemake.output.markdown,
        snakemake.output.figure,
        snakemake.params.compute_threads,
        log,
    )
