# Shared by the bench/*.sh comparisons (sourced, not run). Builds once, makes the big captures, times commands.
#
# Environment:
#   NLMONPS_BENCH_RUNS=3        runs of each timed command; the best (least CPU, least wall) counts
#   NLMONPS_BENCH_JSON_RUNS=1   runs of `tshark -T json` (about 100 CPU-seconds per million messages)
#   NLMONPS_BENCH_DIR=bench/.data   where captures and outputs go (git-ignored)
#   NLMONPS_BENCH_NO_BUILD=1    use the existing Release build
#
# Timing: every command runs under /usr/bin/time. The ratios use CPU time (user + system), which a shared machine
# disturbs far less than wall time; wall time is printed next to it. NlmonPS and tshark each use one core for the
# work (the .NET runtime adds a JIT and a GC thread, counted in its CPU time).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
work=${NLMONPS_BENCH_DIR:-bench/.data}
runs=${NLMONPS_BENCH_RUNS:-3}
bench_exe=bench/NlmonPS.Bench/bin/Release/net10.0/NlmonPS.Bench
# The pwsh every PowerShell pipeline runs in (real pwsh, not a host of ours). The checkout's own install
# (tools/install-pwsh.sh -> .tools/pwsh/pwsh) is used when present; NLMONPS_PWSH overrides both.
pwsh=${NLMONPS_PWSH:-$( [[ -x .tools/pwsh/pwsh ]] && echo .tools/pwsh/pwsh || echo /opt/nlmonps-dev/pwsh/pwsh )}
module=out/NlmonPS
mkdir -p "$work"

need_tools() {
    local missing=()
    command -v tshark >/dev/null || missing+=(tshark)
    [[ -x /usr/bin/time ]] || missing+=(time)
    command -v capinfos >/dev/null || missing+=(wireshark-common)
    command -v python3 >/dev/null || missing+=(python3)
    command -v dotnet >/dev/null || { echo "the .NET SDK is needed (dotnet)" >&2; exit 2; }
    if ((${#missing[@]})); then
        echo "installing ${missing[*]}" >&2
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
}

build() {
    [[ -x $pwsh ]] || { echo "no pwsh at $pwsh: run tools/install-pwsh.sh, or set NLMONPS_PWSH" >&2; exit 2; }
    [[ ${NLMONPS_BENCH_NO_BUILD:-0} == 1 && -x $bench_exe && -f $module/NlmonPS.dll ]] && return
    echo "== build (Release)" >&2
    dotnet build src/NlmonPS -c Release -nologo -v quiet >&2
    dotnet build bench/NlmonPS.Bench -c Release -nologo -v quiet >&2
}

# measure_ps NAME PIPELINE: measure (below) a whole pwsh process (cold: started for this command) that imports the
# module and runs PIPELINE, errors dropped (the mixes hold a few malformed messages on purpose).
measure_ps() {
    measure "$1" -- "$pwsh" -NoProfile -NonInteractive -Command "Import-Module ./$module; & { $2 } 2>\$null"
}

# capture N: the path of a capture of N messages made from every fixture (made again when a fixture is newer).
capture() {
    local n=$1 file=$work/big-$1.pcap
    if [[ ! -s $file ]] || [[ -n $(find tests/fixtures -name '*.pcap' -newer "$file" -print -quit) ]]; then
        "$bench_exe" make-capture "$file" "$n" >&2
    fi
    echo "$file"
}

# large_capture N: N messages repeating only the fixtures' records of 512 bytes or more (rtnetlink dumps with
# statistics, routes, nftables rule sets): the mix of large messages.
large_capture() {
    local n=$1 file=$work/large-$1.pcap
    if [[ ! -s $file ]] || [[ -n $(find tests/fixtures -name '*.pcap' -newer "$file" -print -quit) ]]; then
        "$bench_exe" make-capture --min-bytes 512 "$file" "$n" >&2
    fi
    echo "$file"
}

# same_records A B: the same records (count, then timestamps), or exit 1 saying how they differ.
same_records() {
    python3 - "$1" "$2" <<'PY'
import struct, sys
def records(path):
    data = open(path, 'rb').read()
    if data[:4] not in (b'\xd4\xc3\xb2\xa1', b'\xa1\xb2\xc3\xd4', b'\x4d\x3c\xb2\xa1', b'\xa1\xb2\x3c\x4d'):
        sys.exit(f"{path}: not a classic pcap file (magic {data[:4].hex()})")
    e = '<' if data[:4] in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1') else '>'
    out, off = [], 24
    while off + 16 <= len(data):
        sec, frac, cap, _ = struct.unpack(e + 'IIII', data[off:off + 16])
        out.append((sec, frac, data[off + 16:off + 16 + cap]))
        off += 16 + cap
    return out
a, b = records(sys.argv[1]), records(sys.argv[2])
if len(a) != len(b):
    sys.exit(f"MISMATCH: {len(a)} records vs {len(b)}")
moved = sum(1 for x, y in zip(a, b) if x[:2] != y[:2])
if moved:
    sys.exit(f"MISMATCH: {len(a)} records each, {moved} at other timestamps")
same = sum(1 for x, y in zip(a, b) if x == y)
print(f"{len(a)} records, same timestamps ({same} byte for byte, {len(a) - same} holding other messages too)")
PY
}

machine() {
    echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/{print $2}') GiB;" \
         "$(. /etc/os-release && echo "$PRETTY_NAME"), kernel $(uname -r)"
    echo "versions: $(tshark -v 2>/dev/null | head -1); .NET SDK $(dotnet --version); $("$pwsh" -NoProfile -Command '"PowerShell $($PSVersionTable.PSVersion)"' 2>/dev/null) ($pwsh); NlmonPS $(git describe --always --dirty 2>/dev/null)"
    echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
}

describe() {   # describe FILE MESSAGES
    local records
    records=$(capinfos -c -M "$1" 2>/dev/null | awk -F: '/Number of packets/ { gsub(/ /, "", $2); print $2 }')
    echo "capture: $1: $2 messages in $records records, $(du -h "$1" | cut -f1)B, made from every fixture"
}

# measure NAME [runs] -- COMMAND...: runs COMMAND (stdout and stderr discarded), keeps the least wall and CPU time
# and the largest peak RSS in NAME_wall, NAME_cpu, NAME_rss, and prints them.
measure() {
    local name=$1 n=$runs; shift
    if [[ $1 != -- ]]; then n=$1; shift; fi
    shift
    local best_wall="" best_cpu="" max_rss=0 i wall user sys rss cpu
    for ((i = 0; i < n; i++)); do
        if ! /usr/bin/time -f "%e %U %S %M" -o "$work/time.$$" "$@" >/dev/null 2>"$work/stderr.$$"; then
            # pwsh exits 1 when the stream held malformed messages (reported, still emitted): not a failure.
            if ! grep -q "Malformed" "$work/stderr.$$" && [[ ${1##*/} != pwsh ]]; then
                echo "$name failed: $*" >&2; tail -5 "$work/stderr.$$" >&2; exit 1
            fi
        fi
        read -r wall user sys rss < <(tail -1 "$work/time.$$")
        cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
        best_wall=$(awk -v a="$wall" -v b="${best_wall:-$wall}" 'BEGIN { print (a < b ? a : b) }')
        best_cpu=$(awk -v a="$cpu" -v b="${best_cpu:-$cpu}" 'BEGIN { print (a < b ? a : b) }')
        ((rss > max_rss)) && max_rss=$rss
    done
    rm -f "$work/time.$$" "$work/stderr.$$"
    printf -v "${name}_wall" '%s' "$best_wall"
    printf -v "${name}_cpu" '%s' "$best_cpu"
    printf -v "${name}_rss" '%s' "$max_rss"
    printf '  %-44s cpu %7.2f s   wall %7.2f s   peak RSS %6d MiB   (best of %d)\n' "$name" "$best_cpu" "$best_wall" $((max_rss / 1024)) "$n"
}

# measure_phase NAME -- COMMAND...: like measure, for NlmonPS.Bench decode, whose last line times its decode phase
# alone ("wall S cpu S"): reading the file into memory and starting the runtime are left out.
measure_phase() {
    local name=$1 i wall cpu best_wall="" best_cpu="" line; shift 2
    for ((i = 0; i < runs; i++)); do
        line=$("$@" 2>/dev/null | tail -1)
        wall=$(awk '{print $2}' <<<"$line"); cpu=$(awk '{print $4}' <<<"$line")
        best_wall=$(awk -v a="$wall" -v b="${best_wall:-$wall}" 'BEGIN { print (a < b ? a : b) }')
        best_cpu=$(awk -v a="$cpu" -v b="${best_cpu:-$cpu}" 'BEGIN { print (a < b ? a : b) }')
    done
    printf -v "${name}_wall" '%s' "$best_wall"
    printf -v "${name}_cpu" '%s' "$best_cpu"
    printf '  %-44s cpu %7.2f s   wall %7.2f s   (decode phase only, best of %d)\n' "$name" "$best_cpu" "$best_wall" "$runs"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b <= 0) print "n/a"; else printf "%.1f", a / b }'; }

# report LABEL THEIRS OURS [GOAL]: prints "RATIO label: Nx (goal >= G, met|NOT met)" on CPU times; the line
# compare.sh collects.
report() {
    local label=$1 theirs=$2 ours=$3 goal=${4:-} r verdict=""
    r=$(ratio "$theirs" "$ours")
    if [[ -n $goal ]]; then
        verdict=$(awk -v r="$r" -v g="$goal" 'BEGIN { print (r + 0 >= g ? "met" : "NOT met") }')
        verdict="   (goal >= ${goal}x: $verdict)"
    fi
    echo "RATIO $label: ${r}x$verdict"
}
