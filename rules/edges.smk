# Section 1: edge detection with hand-designed kernels (Prewitt and Sobel, four orientations) on
# the photographs named by edges.images in config.yaml. Target: snakemake --cores 2 section_edges

import re
from pathlib import Path

from convstudy.images import shown

# The photographs (EDGE_IMAGES, EDGE_INPUTS) are listed in rules/common/edges.smk.


rule edges_image:
    """One photograph through every kernel, by numpy and by OpenCV: grid figure, energy rows."""
    input:
        image=lambda w: EDGE_INPUTS[w.image],
    output:
        figure=report(
            "results/figures/edges/{image}.png",
            caption="../report/edges_image.rst",
            category=STUDY.section_title("edges"),
            subcategory="Per image",
        ),
        table="results/tables/edges/{image}.csv",
    log:
        "results/logs/edges/{image}.log",
    benchmark:
        "results/benchmarks/edges/{image}.tsv"
    wildcard_constraints:
        image="|".join(re.escape(name) for name in EDGE_IMAGES.images),
    params:
        # The file as the user named it (the input may be a link to it), for messages.
        source=lambda w: str(EDGE_IMAGES.images[w.image]),
        max_side=EDGES["max_side"] or None,
    threads: 1
    resources:
        mem_mb=1500,
    conda:
        "../envs/environment.yaml"
    script:
        "../scripts/edges_image.py"


rule edges_summary:
    """Edge energy per orientation of every image in one table and chart, and the kernels."""
    input:
        tables=expand(rules.edges_image.output.table, image=EDGE_IMAGES.images),
    output:
        table=report(
            "results/tables/edge_energy.csv",
            caption="../report/edge_energy_table.rst",
            category=STUDY.section_title("edges"),
            subcategory="Summary",
        ),
        markdown="results/tables/edge_energy.md",
        energy_figure=report(
            "results/figures/edge_energy.png",
            caption="../report/edge_energy_figure.rst",
            category=STUDY.section_title("edges"),
            subcategory="Summary",
        ),
        kernels_figure=report(
            "results/figures/edge_kernels.png",
            caption="../report/edge_kernels.rst",
            category=STUDY.section_title("edges"),
            subcategory="Summary",
        ),
    log:
        "results/logs/edges_summary.log",
    benchmark:
        "results/benchmarks/edges_summary.tsv"
    params:
        skipped=[(shown(path), why) for path, why in EDGE_IMAGES.skipped],
        # Logs of images no longer in the folder (a failed one since removed) are removed.
        images=sorted(EDGE_IMAGES.images),
        image_logs=str(Path(rules.edges_image.log[0]).parent),
    threads: 1
    resources:
        mem_mb=1000,
    conda:
        "../envs/environment.yaml"
    script:
        "../scripts/edges_summary.py"


rule section_edges:
    """Section 1's figures and tables."""
    input:
        expand(rules.edges_image.output.figure, image=EDGE_IMAGES.images),
        rules.edges_summary.output,
