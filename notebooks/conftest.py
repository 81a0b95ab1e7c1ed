"""Settings for running the notebooks under nbval (pytest loads this before any kernel starts).

One BLAS thread: the stored outputs were made that way (.ci/refresh_notebooks.py sets the
same), and it is the faster setting for these small matrices. A product summed by two
threads rounds differently, but the only printed digits that this reaches are lesson 6's
float32 ones, which differ between computers anyway and which nbval compares in form only
(tests/nbval-sanitize.cfg); with two threads every notebook passed too.
"""

import os

for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[variable] = "1"  # inherited by the kernels nbval starts
