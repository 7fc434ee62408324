rule dataset:
    """Resolve a dataset from its configured sources, verify it, cache it as .npz."""
    output:
        "results/datasets/{dataset}.npz",
    log:
        "results/logs/datasets/{dataset}.log",
    wildcard_constraints:
        dataset="|".join(catalog.DATASETS),
    params:
        sources=lambda w: config["datasets"][w.dataset]["sources"],
        content_md5=lambda w: config["datasets"][w.dataset].get("content_md5"),
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
        available_datasets(),
