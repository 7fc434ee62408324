# The datasets: each resolved from its configured sources, verified against the canonical
# checksums and cached as .npz. Targets: results/datasets/<name>.npz, or datasets (all of them).
#
# Whether this machine can get a dataset is asked only when a requested target needs to know
# (the default target skips the parts whose dataset it cannot get, and says so): local sources
# are looked at, a download host is probed with a short timeout and its answer remembered for a
# few minutes; with --config offline=true it is never probed.


rule dataset:
    """Resolve a dataset from its configured sources, verify it, cache it as .npz."""
    output:
        "results/datasets/{dataset}.npz",
    log:
        "results/logs/datasets/{dataset}.log",
    benchmark:
        "results/benchmarks/datasets/{dataset}.tsv"
    # Any name matches, so that an unknown one is named (dataset_config) rather than reported as
    # a file no rule can produce.
    wildcard_constraints:
        dataset=r"[^/]+",
    params:
        sources=lambda w: dataset_config(w)["sources"],
        content_md5=lambda w: dataset_config(w).get("content_md5"),
    threads: 1
    resources:
        mem_mb=2000,
    conda:
        "../envs/environment.yaml"
    script:
        "../scripts/build_dataset.py"


rule datasets:
    """Every dataset that can be obtained on this machine."""
    input:
        available_datasets,


warn_of_damaged_caches()
