"""The first module a fork server imports: from here on it ignores Ctrl-C.

A Ctrl-C at a terminal reaches the whole process group, the fork server too.
multiprocessing makes the server ignore SIGINT only once it has imported its
preload list (the pipeline: numpy, soundfile...), so a Ctrl-C meanwhile
printed a KeyboardInterrupt traceback from it. Imported first, this module
leaves only the interpreter's own start-up open to that; where this process
has a single thread, the server is started with SIGINT ignored from its
first instruction (see melcli.interrupts.ctrl_c_ignored_by_new_programs).
The run decides what a Ctrl-C does; the workers ignore it too.
"""

import os
import signal

signal.signal(signal.SIGINT, signal.SIG_IGN)
# A closed terminal's SIGHUP reaches the whole group too: the run decides.
if hasattr(signal, "SIGHUP"):
    signal.signal(signal.SIGHUP, signal.SIG_IGN)

# Its workers run BLAS on one thread (melcli.runners._keep_one_blas_thread).
# Loaded so, before numpy, OpenBLAS starts no thread server here nor in the
# workers: a server started in a worker spins for 0.04-0.1 s of CPU.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
