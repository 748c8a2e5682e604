"""How a child process measures its own peak memory, for the hostile tests.

``PEAK_KB`` is Python source defining ``peak_kb()``: the peak resident memory of the process
that runs it, in KB. It reads ``VmHWM`` from ``/proc/self/status``, not ``ru_maxrss``: on Linux
``ru_maxrss`` survives ``execve``, so a child started by a large pytest process reports the
parent's peak (2.3 GB late in the full suite), and a growth measured from it reads zero. Where
``/proc`` is missing it falls back to ``ru_maxrss``."""

PEAK_KB = '''
def peak_kb():
    import resource
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
'''
