import json
from pathlib import Path

from convstudy import cost
from convstudy.logs import rule_log

with rule_log(snakemake.log[0]) as log:
    estimate = json.loads(Path(snakemake.input[0]).read_text())
    for line in cost.markdown(cost.relaid(estimate, snakemake.params.cores)).splitlines():
        log(line)
    log(f"Build: {cost.progress_line(estimate)}")
