"""Settings for running the notebooks under nbval (pytest loads this before any kernel starts).

One BLAS thread: a matrix product summed by two threads rounds differently from one summed
by one, and over 10,000 training steps that difference reaches the printed accuracies. The
stored outputs were made with one thread (.ci/refresh_notebooks.py sets the same), so every
nbval run must use one too. It is also the faster setting for these small matrices.
"""

import os

for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[variable] = "1"  # inherited by the kernels nbval starts
