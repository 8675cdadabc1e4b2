"""What the benchmark reads from the system: the machine, package versions,
process trees, CPU time and resident memory from /proc, Redis' memory."""

import os
import platform
import shutil
import socket
import subprocess

# The Debian packages whose versions every result names.
PACKAGES = ("lighttpd", "libgrpc29", "libfcgi0ldbl", "libgmp10", "libhiredis0.14",
            "redis-server", "python3-flask", "python3-grpcio", "gunicorn", "wrk")

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


def machine():
    """CPU model, cores, memory, kernel and virtualisation, as far as visible."""
    model = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem_kb = 0
    with open("/proc/meminfo", encoding="utf-8") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    virt = None
    if shutil.which("systemd-detect-virt"):
        out = subprocess.run(["systemd-detect-virt"], capture_output=True, text=True,
                             timeout=5, check=False)
        virt = out.stdout.strip() or None
    return {
        "cpu_model": model,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "virtualization": virt,
        "hostname": socket.gethostname(),
    }


def versions():
    """dpkg version of every package in PACKAGES (None when not installed)."""
    found = {}
    for pkg in PACKAGES:
        out = subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg], capture_output=True,
                             text=True, timeout=10, check=False)
        found[pkg] = out.stdout.strip() if out.returncode == 0 and out.stdout.strip() else None
    return found


def _stat_fields(pid):
    """Fields of /proc/PID/stat after the command name, or None if gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8", errors="replace") as f:
            text = f.read()
    except OSError:
        return None
    # The name is in parentheses and may itself contain spaces or ')'.
    return text[text.rfind(")") + 2:].split()


def comm(pid):
    try:
        with open(f"/proc/{pid}/comm", encoding="utf-8", errors="replace") as f:
            return f.read().strip()
    except OSError:
        return None


def children_map():
    """{ppid: [pid, ...]} over every process now."""
    kids = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        fields = _stat_fields(name)
        if fields is not None:
            kids.setdefault(int(fields[1]), []).append(int(name))
    return kids


def descendants(pid, kids=None):
    """pid and every process below it."""
    kids = kids if kids is not None else children_map()
    out = []
    todo = [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        todo.extend(kids.get(current, []))
    return out


def cpu_times(pid):
    """(user, system) CPU seconds of a process (all its threads), or None."""
    fields = _stat_fields(pid)
    if fields is None:
        return None
    # utime and stime are fields 14 and 15 of stat; fields[0] is field 3.
    return int(fields[11]) / CLOCK_TICKS, int(fields[12]) / CLOCK_TICKS


def cpu_seconds(pid):
    """User + system CPU seconds of a process (all its threads), or None."""
    times = cpu_times(pid)
    return None if times is None else times[0] + times[1]


def context_switches(pid):
    """Voluntary + involuntary context switches over all threads, or None."""
    total = 0
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return None
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/status", encoding="utf-8") as f:
                for line in f:
                    if "ctxt_switches:" in line:
                        total += int(line.split()[1])
        except (OSError, ValueError, IndexError):
            continue
    return total


def rss_kb(pid):
    """Resident set size in KiB, or None when the process is gone."""
    try:
        with open(f"/proc/{pid}/statm", encoding="utf-8") as f:
            return int(f.read().split()[1]) * PAGE_KB
    except (OSError, IndexError, ValueError):
        return None


def machine_busy_seconds():
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat."""
    with open("/proc/stat", encoding="utf-8") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal (guest is inside user).
    idle = values[3] + values[4]
    total = sum(values[:8])
    return (total - idle) / CLOCK_TICKS, total / CLOCK_TICKS


def redis_memory(port):
    """used_memory and maxmemory of the Redis on 127.0.0.1:port, in bytes."""
    out = subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(port), "INFO", "memory"],
                         capture_output=True, text=True, timeout=5, check=False)
    info = {}
    for line in out.stdout.splitlines():
        key, sep, value = line.strip().partition(":")
        if sep and key in ("used_memory", "maxmemory", "used_memory_rss"):
            info[key] = int(value)
    return info
