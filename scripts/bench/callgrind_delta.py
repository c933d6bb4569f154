"""Per-request cost by function: the self cost (Ir) of each function in a long callgrind run minus a short one,
divided by the difference in requests (start-up cancels out). Usage: callgrind_delta.py SHORT.out LONG.out N"""
import re
import signal
import subprocess
import sys

LINE = re.compile(r"^\s*([\d,]+) \(\s*[\d.]+%\)\s+(\S.*)$")


def self_costs(path):
    out = subprocess.run(["callgrind_annotate", "--threshold=100", path], capture_output=True, text=True).stdout
    costs = {}
    for line in out.splitlines():
        match = LINE.match(line)
        if match and "=>" not in line and "PROGRAM TOTALS" not in line:
            name = match.group(2)
            costs[name] = costs.get(name, 0) + int(match.group(1).replace(",", ""))
    return costs


signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # piped into head
short, long_, requests = self_costs(sys.argv[1]), self_costs(sys.argv[2]), int(sys.argv[3])
for cost, name in sorted(((long_[name] - short.get(name, 0)) / requests, name) for name in long_)[::-1]:
    if cost >= 1:
        print(f"{cost:10.0f}  {name[:150]}")
