#!/usr/bin/env python3
"""tools/size.py: `make size`. Code size of small programs built on tornado.h, per toggle set.

Programs (tools/size/): http.c, a raw HTTP server with one handler; httpgz.c, the same
with compress_response and decompress_request (opts.gzip = tn_http_gzip(): what gzip
costs, as only a program naming it links the codec; defaults row only); web.c, a one-route web
app; echo.c, a TCP echo server; full.c, the whole implementation as one object (no
garbage collection of unused functions: what a program using everything pays).
Built like a size-conscious user would: -Os -ffunction-sections -fdata-sections
-Wl,--gc-sections, for x86-64 with the host compiler, and for a Cortex-M4 with
arm-none-eabi-gcc on lwIP (TORNADO_PLATFORM_LWIP: see the README's firmware section).
-Os defines __OPTIMIZE_SIZE__, which gives the HTTP parser its compact paths (helpers called,
not forced inline; no SIMD field-line walk or fast paths before the scanners; as strict, and
tested so: tests/test_http_parse_small.c): these figures are of that build, an -O2 build's
parser is larger and faster.
Sizes are the .text, .rodata, .data and .bss sections (size -A), in bytes.
"""
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FLAGS = ["-std=c99", "-Wall", "-Wextra", "-Wpedantic", "-Wundef", "-Werror", "-Os",
         "-ffunction-sections", "-fdata-sections"]
ALL_NO = ["LOG", "SIMD", "FILESYSTEM", "RESOLVER", "WEBSOCKET", "HTTP_CLIENT", "DEFLATE", "THREADS", "ETAG", "DATE", "WEB", "HTTP_SERVER"]
PROGRAMS = [
    # (program, toggles it cannot take)
    ("http", {"HTTP_SERVER"}),
    ("httpgz", {"HTTP_SERVER", "DEFLATE"}),
    ("web", {"HTTP_SERVER", "WEB"}),
    ("echo", set()),
    ("full", set()),
]


def sections(path):
    out = subprocess.run(["size", "-A", path], capture_output=True, text=True).stdout
    sec = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0].startswith(".") and parts[1].isdigit():
            for name in (".text", ".rodata", ".data", ".bss"):   # .text.fn etc. in an object
                if parts[0] == name or parts[0].startswith(name + "."):
                    sec[name] = sec.get(name, 0) + int(parts[1])
    return sec


def build(prog, toggles, tmp):
    src = os.path.join(ROOT, "tools", "size", prog + ".c")
    defs = ["-DTORNADO_NO_" + t for t in toggles]
    out = os.path.join(tmp, "%s_%d" % (prog, len(toggles)))
    if prog == "full":
        cmd = ["cc"] + FLAGS + defs + ["-c", "-o", out + ".o", src]
        out += ".o"
    else:
        cmd = ["cc"] + FLAGS + defs + ["-Wl,--gc-sections", "-o", out, src, "-lpthread"]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        return None, p.stderr.strip().splitlines()[-1] if p.stderr.strip() else "build failed"
    return sections(out), None


def main():
    print("code size, x86-64 (%s), -Os with function/data sections, --gc-sections" %
          subprocess.run(["cc", "--version"], capture_output=True, text=True).stdout.splitlines()[0])
    print("  %-6s %-44s %8s %8s %6s %6s" % ("prog", "toggles (TORNADO_NO_*)", ".text", ".rodata", ".data", ".bss"))
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        for prog, needs in PROGRAMS:
            allowed = [t for t in ALL_NO if t not in needs]
            # one toggle at a time (NO_HTTP_SERVER implies NO_WEB, as config.h requires)
            singles = [[t] if t != "HTTP_SERVER" else ["WEB", "HTTP_SERVER"] for t in allowed]
            sets = [[], allowed] + (singles if prog != "full" else [])
            if prog == "httpgz":
                sets = [[]]
            for toggles in sets:
                sec, err = build(prog, toggles, tmp)
                label = "defaults" if not toggles else ("every one it can take" if toggles == allowed and len(toggles) > 1 else " ".join(toggles))
                if sec is None:
                    print("  %-6s %-44s failed: %s" % (prog, label, err))
                    ok = False
                    continue
                print("  %-6s %-44s %8d %8d %6d %6d" % (prog, label, sec.get(".text", 0), sec.get(".rodata", 0),
                                                      sec.get(".data", 0), sec.get(".bss", 0)), flush=True)
    return 0 if ok else 1


# ---- Cortex-M4 (TORNADO_PLATFORM_LWIP): the same programs built for firmware ----
# arm-none-eabi-gcc with newlib-nano, Thumb-2, lwIP's socket API (tests/firmware/lwipopts.h,
# dual-stack with DNS), linked with tests/firmware/link_stub.c (a link stub standing in for
# lwIP and the board: its few hundred bytes are in every row, as is the newlib code the
# program pulls in: malloc, snprintf...; the "baseline" row is an empty main linked so).
# lwIP itself (typically 40-80 KB of .text) is not included: a board links it anyway.
ARM_FLAGS = ["-mcpu=cortex-m4", "-mthumb", "-Os", "-ffunction-sections", "-fdata-sections",
             "-std=c99", "-Wall", "-Wextra", "-Wpedantic", "-Wundef", "-Werror",
             "-DTORNADO_PLATFORM_LWIP", "-DTORNADO_READ_CHUNK_SIZE=2048",
             "-I" + os.path.join(ROOT, "tests", "firmware"), "-isystem", "/usr/include/lwip"]
ARM_LINK = ["--specs=nano.specs", "--specs=nosys.specs", "-Wl,--gc-sections", "-Wl,--fatal-warnings"]
# (program, toggles it cannot take); lwIP implies NO_THREADS and NO_FILESYSTEM, no SSE2 on ARM
ARM_PROGRAMS = [("http", {"HTTP_SERVER"}), ("web", {"HTTP_SERVER", "WEB"}), ("echo", set())]
ARM_NO = ["LOG", "WEBSOCKET", "HTTP_CLIENT", "DEFLATE", "ETAG", "DATE", "WEB", "HTTP_SERVER"]


def arm_build(prog, toggles, tmp):
    if prog == "baseline":
        src = os.path.join(tmp, "baseline.c")
        with open(src, "w") as f:
            f.write("int main(void) { return 0; }\n")
    else:
        src = os.path.join(ROOT, "tools", "size", prog + ".c")
    out = os.path.join(tmp, "arm_%s_%d.elf" % (prog, len(toggles)))
    cmd = (["arm-none-eabi-gcc"] + ARM_FLAGS + ["-DTORNADO_NO_" + t for t in toggles] + ARM_LINK +
           ["-o", out, src, os.path.join(ROOT, "tests", "firmware", "link_stub.c")])
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0 or p.stderr.strip():
        return None, p.stderr.strip().splitlines()[-1] if p.stderr.strip() else "build failed"
    return sections(out), None


def cortex_m4():
    import shutil
    if not shutil.which("arm-none-eabi-gcc") or not os.path.exists("/usr/include/lwip/lwip/sockets.h"):
        print("\ncode size, Cortex-M4: skipped (apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi liblwip-dev)")
        return 0
    ver = subprocess.run(["arm-none-eabi-gcc", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    print("\ncode size, Cortex-M4 Thumb-2 on lwIP (%s, newlib-nano), -Os, --gc-sections" % ver)
    print("  %-8s %-42s %8s %8s %6s %6s" % ("prog", "toggles (TORNADO_NO_*)", ".text", ".rodata", ".data", ".bss"))
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        rows = [("baseline", [], "empty main + link stub + crt")]
        for prog, needs in ARM_PROGRAMS:
            allowed = [t for t in ARM_NO if t not in needs]
            rows += [(prog, [], "defaults (lwIP: no threads, no file system)"),
                     (prog, allowed, "every one it can take")]
        for prog, toggles, label in rows:
            sec, err = arm_build(prog, toggles, tmp)
            if sec is None:
                print("  %-8s %-42s failed: %s" % (prog, label, err))
                ok = False
                continue
            print("  %-8s %-42s %8d %8d %6d %6d" % (prog, label, sec.get(".text", 0), sec.get(".rodata", 0),
                                                    sec.get(".data", 0), sec.get(".bss", 0)), flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main() | cortex_m4())
