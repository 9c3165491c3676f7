"""momentum_dag: momentum factors, crash-aware momentum strategies and factor evaluation as Dagster assets.

One BLAS thread per process (``OPENBLAS_NUM_THREADS``, unless set): the factor code is vector-matrix
products and small solves, one step at a time beside DuckDB's own threads, and OpenBLAS's worker threads
spin waiting for work on a busy 2-core machine: a month end's weighted moments of the Barra descriptors
took 30 times as long with them (1.6 s vs 0.05 s for 48 products of a 504 x 2,000 window). The variable
covers the BLAS libraries loaded later (scipy's); ``threadpoolctl`` limits those already loaded.
"""

import os

if "OPENBLAS_NUM_THREADS" not in os.environ:
    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")
