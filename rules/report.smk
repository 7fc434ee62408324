# The study's report: one self-contained HTML page, results/report.html, following the original
# study's sections (convstudy.outline), with every figure and table of this run and findings
# generated from them. Target: results/report.html (the default target ends here).
# `snakemake --report` builds Snakemake's own report from the same captions (report/*.rst).
#
# The report's plan names each file through the rule that makes it (its declared output and
# caption), so a path or a caption is written once, in its rule.


rule report:
    """The study's HTML report, self-contained, from every figure and table of this run."""
    input:
        lambda w: sorted(set(plan_files(cached_plan()))),
    output:
        "results/report.html",
    log:
        "results/logs/report.log",
    benchmark:
        "results/benchmarks/report.tsv"
    params:
        plan=lambda w: cached_plan(),
    threads: 1
    resources:
        mem_mb=2000,
    conda:
        "../envs/environment.yaml"
    script:
        "../scripts/report.py"
