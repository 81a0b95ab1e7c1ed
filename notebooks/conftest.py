"""Settings for running the notebooks under nbval (pytest loads this before any kernel starts).

One BLAS thread, as the stored outputs were made (.ci/refresh_notebooks.py sets the same),
so that every product is summed in the order the stored digits came from; it is also the
faster setting for these small matrices. (A product summed by two threads rounds
differently; over 10,000 training steps that reaches lesson 6's float32 accuracies, which
differ between computers anyway, so nbval compares those in form only: see
tests/nbval-sanitize.cfg. With two threads every notebook still passed.)
"""

import os

for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[variable] = "1"  # inherited by the kernels nbval starts
