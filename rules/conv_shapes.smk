# Section 2: shapes of layers and kernels; the output-size formula and a seven-loop numpy
# convolution checked against mxnet gluon, mxnet nd and torch. Target: section_conv_shapes


rule conv_shapes:
    """Every case of the shape grid: formula vs frameworks vs loops, values compared."""
    output:
        table=report(
            "results/tables/conv_shapes.csv",
            caption="../report/conv_shapes_table.rst",
            category=STUDY.section_title("conv_shapes"),
        ),
        markdown="results/tables/conv_shapes.md",
        figure=report(
            "results/figures/conv_shapes_agreement.png",
            caption="../report/conv_shapes_agreement.rst",
            category=STUDY.section_title("conv_shapes"),
        ),
    log:
        "results/logs/conv_shapes.log",
    benchmark:
        "results/benchmarks/conv_shapes.tsv"
    threads: 1
    resources:
        mem_mb=2000,
    conda:
        "../envs/environment.yaml"
    script:
        "../scripts/conv_shapes.py"


rule section_conv_shapes:
    """Section 2's figure and tables."""
    input:
        rules.conv_shapes.output,
