"""The thread count of this process's numeric libraries, set before they load.

A job that reserves every core, so that it is measured with nothing beside it, still computes
with the thread count it is measured at. numpy's BLAS, OpenMP and MXNet read that count from the
environment when they are first imported (Snakemake sets it to the job's threads), so a rule
script calls use_threads first.
"""

import os
import sys

THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "GOTO_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)


def use_threads(count: int) -> None:
    """Make numpy's BLAS, OpenMP (MXNet, torch) use `count` threads in this process."""
    loaded = sorted({"numpy", "mxnet", "torch"} & set(sys.modules))
    if loaded:
        raise RuntimeError(f"use_threads must run before {', '.join(loaded)} is imported")
    for variable in THREAD_VARIABLES:
        os.environ[variable] = str(count)
