# Section 3: the 1x1 convolution as one matrix product, and any convolution via im2col, against
# the framework layers and loops; values compared, times measured. Target: section_conv1x1
#
# Both rules measure time, so each reserves every core Snakemake was given (no other job runs
# beside it) and computes on ONE thread (compute_threads sets torch's, mxnet's and BLAS's thread
# counts): measured on a 2-core machine with another job running, torch's 1x1 convolution took
# 0.3 ms on one thread and 24-40 ms on two, its second thread waiting for a busy core.


rule conv1x1_timing:
    """1x1 convolution: NHWC matrix product vs gluon, nd, torch and loops, as shapes grow."""
    output:
        table=report(
            "results/tables/conv1x1_timing.csv",
            caption="../report/conv1x1_table.rst",
            category=STUDY.section_title("conv1x1"),
        ),
        markdown="results/tables/conv1x1_timing.md",
        figure=report(
            "results/figures/conv1x1_timing.png",
            caption="../report/conv1x1_figure.rst",
            category=STUDY.section_title("conv1x1"),
        ),
    log:
        "results/logs/conv1x1_timing.log",
    benchmark:
        "results/benchmarks/conv1x1_timing.tsv"
    params:
        compute_threads=1,
    threads: every_core
    resources:
        mem_mb=2000,
    conda:
        "../envs/environment.yaml"
    script:
        "../scripts/conv1x1_timing.py"


rule im2col_timing:
    """Any convolution as im2col + one matrix product vs the frameworks, on section 2's grid."""
    output:
        table=report(
            "results/tables/im2col.csv",
            caption="../report/im2col_table.rst",
            category=STUDY.section_title("conv1x1"),
        ),
        markdown="results/tables/im2col.md",
        figure=report(
            "results/figures/im2col_timing.png",
            caption="../report/im2col_figure.rst",
            category=STUDY.section_title("conv1x1"),
        ),
    log:
        "results/logs/im2col_timing.log",
    benchmark:
        "results/benchmarks/im2col_timing.tsv"
    params:
        compute_threads=1,
    threads: every_core
    resources:
        mem_mb=2000,
    conda:
        "../envs/environment.yaml"
    script:
        "../scripts/im2col_timing.py"


rule section_conv1x1:
    """Section 3's figures and tables."""
    input:
        rules.conv1x1_timing.output,
        rules.im2col_timing.output,
