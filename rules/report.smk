# The study's report: one self-contained HTML page, results/report.html, following the original
# study's sections 1-7 (and where the time goes), with every figure and table of this run and
# findings generated from them. Target: results/report.html (the default target ends here).
# `snakemake --report` builds Snakemake's own report from the same captions (report/*.rst).


REPORT_PLAN = report_plan()


rule report:
    """The study's HTML report, self-contained, from every figure and table of this run."""
    input:
        sorted(set(_plan_files(REPORT_PLAN))),
    output:
        "results/report.html",
    log:
        "results/logs/report.log",
    params:
        plan=REPORT_PLAN,
    threads: 1
    resources:
        mem_mb=2000,
    conda:
        "../envs/environment.yaml"
    script:
        "../scripts/report.py"
