#!/usr/bin/env bash
# kernel/run.sh - run one command as root inside Debian's stock kernel (qemu/TCG).
#
# Usage: kernel/run.sh [options] -- COMMAND [ARGS...]
#   --kernel K      which stock kernel boots: 6.1 (Debian 12's, the default) or
#                   6.12 (bookworm-backports); also NLMONPS_KERNEL. Each is set
#                   up by kernel/setup.sh --kernel K.
#   --share DIR     make host DIR writable from the guest (repeatable); guest
#                   writes land on the host. DIR is created if missing.
#   --timeout SEC   kill the VM after SEC seconds (default 1800; 0 = none)
#   --mem MB        guest memory (default 3072)
#   --smp N         guest CPUs (default 2)
#   --env NAME[=VALUE]  pass one more environment variable (repeatable)
#   -v, --verbose   print boot/run timing and where the logs are
#
# The guest sees the host's / read-only (9p) under a tmpfs overlay, so it can
# write anywhere but only --share directories keep their writes. The command
# runs in the caller's working directory with stdin from /dev/null; its stdout
# and stderr come back on the caller's stdout and stderr; kernel messages go
# to kernel/.cache/last-console.log.
#
# Exit status: the command's own, or
#   124  timeout (the VM was killed)
#   125  the rig could not run (setup missing, qemu missing, guest failed to boot)
#   130/143  interrupted (SIGINT/SIGTERM)
#
# Environment passed to the command: PATH HOME DOTNET_ROOT LANG LC_ALL TZ TERM CI
# USER LOGNAME, every DOTNET_* and NLMONPS_* variable, and --env ones.
# NLMONPS_RIG_CACHE overrides the cache folder; NLMONPS_RIG_KEEP=1 keeps the
# per-run folder (console log, raw outputs) for debugging.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="${NLMONPS_RIG_CACHE:-$HERE/.cache}"
RIG_FAIL=125

die_rig() { printf 'run.sh: %s\n' "$*" >&2; exit $RIG_FAIL; }
usage() { sed -n '2,33p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }

KERNEL="${NLMONPS_KERNEL:-6.1}"
SHARES=()
EXTRA_ENV=()
TIMEOUT=1800
MEM=3072
SMP=2
VERBOSE="${NLMONPS_RIG_VERBOSE:-0}"
while [ $# -gt 0 ]; do
    case "$1" in
        --kernel) [ $# -ge 2 ] || usage; KERNEL="$2"; shift 2 ;;
        --kernel=*) KERNEL="${1#*=}"; shift ;;
        --share) [ $# -ge 2 ] || usage; SHARES+=("$2"); shift 2 ;;
        --share=*) SHARES+=("${1#*=}"); shift ;;
        --timeout) [ $# -ge 2 ] || usage; TIMEOUT="$2"; shift 2 ;;
        --timeout=*) TIMEOUT="${1#*=}"; shift ;;
        --mem) [ $# -ge 2 ] || usage; MEM="$2"; shift 2 ;;
        --mem=*) MEM="${1#*=}"; shift ;;
        --smp) [ $# -ge 2 ] || usage; SMP="$2"; shift 2 ;;
        --smp=*) SMP="${1#*=}"; shift ;;
        --env) [ $# -ge 2 ] || usage; EXTRA_ENV+=("$2"); shift 2 ;;
        --env=*) EXTRA_ENV+=("${1#*=}"); shift ;;
        -v|--verbose) VERBOSE=1; shift ;;
        -h|--help) usage ;;
        --) shift; break ;;
        -*) printf 'run.sh: unknown option %s\n' "$1" >&2; usage ;;
        *) break ;;
    esac
done
[ $# -gt 0 ] || { printf 'run.sh: no command given\n' >&2; usage; }
[[ "$TIMEOUT" =~ ^[0-9]+$ ]] || die_rig "--timeout must be a whole number of seconds"
[[ "$MEM" =~ ^[0-9]+$ ]] || die_rig "--mem must be a number of MiB"
[[ "$SMP" =~ ^[0-9]+$ ]] || die_rig "--smp must be a number"

# ------------------------------------------------------------ preconditions --
QEMU="$(command -v qemu-system-x86_64 || true)"
[ -n "$QEMU" ] || die_rig "qemu-system-x86_64 not found: run kernel/setup.sh first"
case "$KERNEL" in 6.1|6.12) ;; *) die_rig "unknown kernel '$KERNEL': use --kernel 6.1 or --kernel 6.12";; esac
[ -f "$CACHE/$KERNEL/kernel.env" ] || die_rig "rig not set up for $KERNEL ($CACHE/$KERNEL/kernel.env missing): run kernel/setup.sh --kernel $KERNEL first"
# shellcheck disable=SC1091
. "$CACHE/$KERNEL/kernel.env"
for f in "$RIG_VMLINUZ" "$RIG_INITRD" "$RIG_MODDIR/modules.dep"; do
    [ -f "$f" ] || die_rig "kernel package files missing ($f): run kernel/setup.sh --kernel $KERNEL again"
done
case "$RIG_MODDIR" in *[[:space:]]*) die_rig "the cache path must not contain spaces ($RIG_MODDIR)";; esac

# -------------------------------------------------------------- run folder --
RUN="$(mktemp -d "${TMPDIR:-/tmp}/nlmonps-rig.XXXXXX")" || die_rig "mktemp failed"
case "$RUN" in *[[:space:],]*) rm -rf "$RUN"; die_rig "TMPDIR must not contain spaces or commas";; esac
QPID=""
TAILS=()
cleanup() {
    local p
    [ -n "$QPID" ] && kill -TERM "$QPID" 2>/dev/null && wait "$QPID" 2>/dev/null
    for p in "${TAILS[@]}"; do kill "$p" 2>/dev/null || true; done
    [ -f "$RUN/console.log" ] && cp -f "$RUN/console.log" "$CACHE/last-console.log" 2>/dev/null
    [ -f "$RUN/qemu.log" ] && cp -f "$RUN/qemu.log" "$CACHE/last-qemu.log" 2>/dev/null
    if [ "${NLMONPS_RIG_KEEP:-0}" = 1 ]; then
        printf 'run.sh: kept run folder %s\n' "$RUN" >&2
    else
        rm -rf "$RUN"
    fi
    return 0
}
on_signal() {
    trap - INT TERM
    printf '\nrun.sh: interrupted (%s), stopping the VM\n' "$1" >&2
    cleanup
    trap - EXIT
    [ "$1" = INT ] && exit 130
    exit 143
}
trap cleanup EXIT
trap 'on_signal INT' INT
trap 'on_signal TERM' TERM
trap 'on_signal HUP' HUP

qarg() { printf '%s' "${1//,/,,}"; }            # escape commas in qemu option values
shq() { printf "'%s'" "${1//\'/\'\\\'\'}"; }     # POSIX shell single-quoting

# ------------------------------------------------------------------ shares --
QEMU_SHARES=()
: > "$RUN/shares"
i=0
for s in "${SHARES[@]}"; do
    mkdir -p "$s" || die_rig "cannot create share $s"
    abs="$(cd "$s" && pwd -P)"
    [ "$abs" != / ] || die_rig "cannot share / read-write"
    case "$abs" in *$'\n'*) die_rig "share path with a newline: $s";; esac
    printf '%s\n' "$abs" >> "$RUN/shares"
    QEMU_SHARES+=(-fsdev "local,id=rigshare$i,path=$(qarg "$abs"),security_model=none,multidevs=remap"
                  -device "virtio-9p-pci,fsdev=rigshare$i,mount_tag=rigshare$i")
    i=$((i + 1))
done

# ---------------------------------------------------------- guest command --
WD="$(pwd -P)"
{
    echo '# generated by kernel/run.sh'
    pass() { printf 'export %s=%s\n' "$1" "$(shq "$2")"; }
    for v in PATH HOME DOTNET_ROOT LANG LC_ALL TZ TERM CI USER LOGNAME; do
        [ -n "${!v+x}" ] && pass "$v" "${!v}"
    done
    while IFS= read -r v; do
        case "$v" in NLMONPS_RIG_*) continue ;; esac
        pass "$v" "${!v}"
    done < <(compgen -e | grep -E '^(DOTNET_|NLMONPS_)' || true)
    for e in "${EXTRA_ENV[@]}"; do
        if [[ "$e" == *=* ]]; then pass "${e%%=*}" "${e#*=}"
        elif [ -n "${!e+x}" ]; then pass "$e" "${!e}"; fi
    done
    [ -n "${PATH+x}" ] || echo 'export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
    [ -n "${HOME+x}" ] || echo 'export HOME=/root'
    printf 'cd %s || { echo "error=cannot cd to the working directory %s in the guest" >/dev/virtio-ports/rig.status; exit 125; }\n' \
        "$(shq "$WD")" "$(shq "$WD" | tr -d "'")"
    printf 'exec'
    for a in "$@"; do printf ' %s' "$(shq "$a")"; done
    printf '\n'
} > "$RUN/cmd.sh"

: > "$RUN/stdout"; : > "$RUN/stderr"; : > "$RUN/status"; : > "$RUN/console.log"

APPEND="console=ttyS0 quiet loglevel=3 panic=-1 oops=panic rdinit=/init"
APPEND+=" mitigations=off tsc=reliable no_timer_check random.trust_cpu=on"
APPEND+="${NLMONPS_RIG_APPEND:+ $NLMONPS_RIG_APPEND}"   # extra kernel arguments (debugging)
APPEND+=" rig.run=$RUN rig.kver=$RIG_KVER rig.moddir=$RIG_MODDIR"

# smap=off: QEMU 7.2's TCG pops an IRETQ frame at CPL 3 as a supervisor access, so with SMAP a user-mode IRETQ
# (.NET restores thread contexts with one) faults as the kernel touching user memory: an oops, and with oops=panic a
# dead guest (seen once in live Pester on 6.12: "supervisor read access in user mode" at an iretq in a .NET thread).
QEMU_ARGS=(
    -accel tcg -cpu max,smap=off -smp "$SMP" -m "$MEM"
    -nodefaults -no-user-config -display none -vga none -no-reboot
    -monitor none -serial "file:$RUN/console.log"
    -kernel "$RIG_VMLINUZ" -initrd "$RIG_INITRD" -append "$APPEND"
    -fsdev "local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap"
    -device "virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot"
    "${QEMU_SHARES[@]}"
    -device virtio-serial-pci,id=vser0
    -chardev "file,id=rigout,path=$RUN/stdout"
    -device virtserialport,bus=vser0.0,chardev=rigout,name=rig.stdout
    -chardev "file,id=rigerr,path=$RUN/stderr"
    -device virtserialport,bus=vser0.0,chardev=rigerr,name=rig.stderr
    -chardev "file,id=rigstatus,path=$RUN/status"
    -device virtserialport,bus=vser0.0,chardev=rigstatus,name=rig.status
)
# extra qemu arguments for experiments, split on whitespace
# shellcheck disable=SC2206
[ -n "${NLMONPS_RIG_QEMU_ARGS:-}" ] && QEMU_ARGS+=(${NLMONPS_RIG_QEMU_ARGS})

# ------------------------------------------------------------------- boot --
t0=$(date +%s.%N)
# setpriv --pdeathsig: the VM goes away even if this script is SIGKILLed
DEATHSIG=()
setpriv --help 2>/dev/null | grep -q -- --pdeathsig && DEATHSIG=(setpriv --pdeathsig TERM)
if [ "$TIMEOUT" -gt 0 ]; then
    "${DEATHSIG[@]}" timeout --signal=TERM --kill-after=10 "$TIMEOUT" "$QEMU" "${QEMU_ARGS[@]}" </dev/null >"$RUN/qemu.log" 2>&1 &
else
    "${DEATHSIG[@]}" "$QEMU" "${QEMU_ARGS[@]}" </dev/null >"$RUN/qemu.log" 2>&1 &
fi
QPID=$!
# stream the command's output while the VM runs
tail -q -n +1 -s 0.1 --pid="$QPID" -f "$RUN/stdout" &
TAILS+=($!)
tail -q -n +1 -s 0.1 --pid="$QPID" -f "$RUN/stderr" >&2 &
TAILS+=($!)

qrc=0
wait "$QPID" || qrc=$?
QPID=""
for p in "${TAILS[@]}"; do wait "$p" 2>/dev/null || true; done
TAILS=()
t1=$(date +%s.%N)

status="$(cat "$RUN/status")"
if [ "$VERBOSE" = 1 ]; then
    printf 'run.sh: kernel %s, VM ran %.1f s, qemu exit %s\n' "$RIG_KVER" "$(echo "$t1 - $t0" | bc 2>/dev/null || awk "BEGIN{print $t1-$t0}")" "$qrc" >&2
fi

if [ "$TIMEOUT" -gt 0 ] && [ "$qrc" = 124 ]; then
    printf 'run.sh: TIMEOUT: the command did not finish within %s s; the VM was killed (console: %s)\n' \
        "$TIMEOUT" "$CACHE/last-console.log" >&2
    exit 124
fi
err="$(printf '%s\n' "$status" | sed -n 's/^error=//p' | head -n1)"
if [ -n "$err" ]; then
    printf 'run.sh: rig error inside the guest: %s (console: %s)\n' "$err" "$CACHE/last-console.log" >&2
    exit $RIG_FAIL
fi
code="$(printf '%s\n' "$status" | sed -n 's/^exit=\([0-9]*\)$/\1/p' | tail -n1)"
if [ -z "$code" ]; then
    printf 'run.sh: the guest stopped without reporting an exit status (qemu exit %s).\n' "$qrc" >&2
    if grep -q 'Kernel panic' "$RUN/console.log" 2>/dev/null; then
        printf 'run.sh: the guest kernel panicked:\n' >&2
        grep -A3 'Kernel panic' "$RUN/console.log" | head -n 8 >&2
    fi
    printf 'run.sh: last console lines (%s):\n' "$CACHE/last-console.log" >&2
    tail -n 15 "$RUN/console.log" | sed 's/^/  | /' >&2
    if [ -s "$RUN/qemu.log" ]; then
        printf 'run.sh: qemu said:\n' >&2
        grep -v 'TCG doesn.t support requested feature' "$RUN/qemu.log" | tail -n 10 | sed 's/^/  | /' >&2
    fi
    exit $RIG_FAIL
fi
exit "$code"
