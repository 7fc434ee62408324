# A hands-on study of convolutional networks, rebuilt from nothing: snakemake --cores 4
# Quick version of the same DAG (small subsets, few epochs): snakemake --cores 4 --config preset=quick

from snakemake.utils import min_version, validate

min_version("9.0")


# Checked against schemas/config.schema.yaml, before and after its preset, in rules/common/config.smk.
CONFIG_FILE = "config.yaml"


configfile: CONFIG_FILE


# `snakemake --report report.html`: Snakemake's own report, captions in report/, by section.
report: "report/workflow.rst"


# Helpers first, each file using only those before it: the config, the datasets, the photographs,
# then the study (convstudy.plan.Study, which decides what runs) and the rules' input functions;
# then the rules.
include: "rules/common/config.smk"
include: "rules/common/datasets.smk"
include: "rules/common/edges.smk"
include: "rules/common/study.smk"
include: "rules/common/runs.smk"
include: "rules/common/analysis.smk"
include: "rules/common/report.smk"
include: "rules/common/cost.smk"
include: "rules/datasets.smk"
include: "rules/runs.smk"
include: "rules/edges.smk"
include: "rules/conv_shapes.smk"
include: "rules/conv1x1.smk"
include: "rules/analysis.smk"
include: "rules/report.smk"
include: "rules/cost.smk"


rule all:
    default_target: True
    input:
        rules.estimate_build.output,
        available_datasets,
        rules.section_edges.input,
        rules.section_conv_shapes.input,
        rules.section_conv1x1.input,
        rules.report.output,


# Before any job runs: damaged dataset caches are rebuilt from their sources, the records of
# finished runs that Snakemake has recorded since are removed (and again at the end), and a
# resumed build says how far it is.
onstart:
    repair_damaged_caches()
    clear_finished_checkpoints()
    say_progress()


onsuccess:
    clear_finished_checkpoints()


onerror:
    clear_finished_checkpoints()
