"""Process hygiene shared by spawned servers and load-generator workers."""

import contextlib
import ctypes
import ctypes.util
import os
import resource
import signal

_PR_SET_PDEATHSIG = 1


def die_with_parent(sig: int = signal.SIGTERM) -> None:
    """Ask Linux to send ``sig`` to this process when its parent dies, so a
    harness killed with SIGKILL leaves no server or worker behind."""
    with contextlib.suppress(OSError, AttributeError, TypeError):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0)


def raise_fd_limit() -> int:
    """Soft RLIMIT_NOFILE up to the hard limit (20,000 here); returns it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
    return soft


def pin(cores: set[int] | None) -> None:
    if cores:
        with contextlib.suppress(OSError, AttributeError):
            os.sched_setaffinity(0, cores)


def child_setup() -> None:
    """``preexec_fn`` for spawned servers."""
    die_with_parent(signal.SIGTERM)
    raise_fd_limit()


def rss_kib(pid: int | None) -> float | None:
    """VmRSS of ``pid`` in KiB from /proc/<pid>/status (None if unreadable)."""
    if pid is None:
        return None
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return float(line.split()[1])
    except OSError:
        return None
    return None


def cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU time of ``pid`` so far, from /proc/<pid>/stat."""
    if pid is None:
        return None
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def machine_busy_seconds() -> float | None:
    """CPU seconds the whole machine has spent busy (all cores; not idle/iowait)."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            fields = [int(v) for v in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    busy = sum(fields[:8]) - idle  # user nice system idle iowait irq softirq steal
    return busy / os.sysconf("SC_CLK_TCK")


def usable_cpus() -> set[int]:
    try:
        return set(os.sched_getaffinity(0))
    except (OSError, AttributeError):
        return set(range(os.cpu_count() or 1))
