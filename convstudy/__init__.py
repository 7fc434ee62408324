"""convstudy: the library behind the convolutional-network study workflow.

It knows nothing of Snakemake: rule scripts, tests and benchmarks import it directly.
"""
