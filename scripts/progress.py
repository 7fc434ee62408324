import json
from pathlib import Path

from convstudy import cost
from convstudy.logs import rule_log

with rule_log(snakemake.log[0]) as log:
    estimate = Path(snakemake.params.estimate)
    if estimate.is_file():
        log(cost.progress_line(json.loads(estimate.read_text())))
    else:
        log(f"No {estimate} yet: snakemake estimate --cores N makes it.")
