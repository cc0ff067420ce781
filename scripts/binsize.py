#!/usr/bin/env python3
"""Size of a Go binary by package: the symbols of its file-backed sections
(text, read-only data, data; .bss and .noptrbss take no room in the file
and are left out), summed by package, largest first.

    scripts/binsize.py BINARY [TOP]

The binary must keep its symbol table (built without -ldflags -s); the
function table (.gopclntab) is not in any symbol and is shown apart."""
import subprocess
import sys
from collections import defaultdict

binary = sys.argv[1]
top = int(sys.argv[2]) if len(sys.argv) > 2 else 30
nobits, pclntab = [], 0
for line in subprocess.run(["readelf", "-SW", binary], capture_output=True, text=True, check=True).stdout.splitlines():
    f = line.replace("[ ", "[").split()
    if len(f) > 6 and f[0].startswith("[") and f[0][1:-1].isdigit():
        name, kind, addr, size = f[1], f[2], int(f[3], 16), int(f[5], 16)
        if kind == "NOBITS":
            nobits.append((addr, addr + size))
        if name == ".gopclntab":
            pclntab = size
nm = subprocess.run(["go", "tool", "nm", "-size", binary], capture_output=True, text=True, check=True).stdout
sizes = defaultdict(int)
total = 0
for line in nm.splitlines():
    parts = line.split(None, 3)
    if len(parts) < 4 or not parts[1].isdigit():
        continue
    addr, size, kind, name = parts
    if kind in "bBU" or any(lo <= int(addr, 16) < hi for lo, hi in nobits):
        continue
    size = int(size)
    name = name.strip()
    if name.startswith(("go:", "type:", "runtime.", "_cgo", "__")) or "." not in name:
        pkg = name.split(".")[0].split(":")[0] if not name.startswith("runtime.") else "runtime"
        if name.startswith("type:"):
            pkg = "(type descriptors)"
        elif name.startswith("go:"):
            pkg = "(" + name.split(".")[0] + ")"
        elif "." not in name:
            pkg = "(C and other symbols)"
    else:
        # the package path is up to the first dot after the last slash
        slash = name.rfind("/", 0, name.find("(") if "(" in name else len(name))
        dot = name.find(".", slash + 1)
        pkg = name[:dot]
    sizes[pkg] += size
    total += size
print(f"{'MB':>7}  package")
for pkg, size in sorted(sizes.items(), key=lambda kv: -kv[1])[:top]:
    print(f"{size / 1e6:7.2f}  {pkg}")
print(f"{total / 1e6:7.2f}  total of symbols")
print(f"{pclntab / 1e6:7.2f}  .gopclntab (function table, all packages)")
