#!/usr/bin/env bash
# Installs what the tests need (tests/apt-packages.txt, pwsh + Pester into .tools/, the kernel rig), builds
# NlmonPS and runs every test, ending with one line "N passed, N failed[, N skipped]"; exits non-zero on any
# failure. On a fresh Debian 12 machine with the .NET SDK, as root (or with sudo):
#   tests/run.sh            native + live
#   tests/run.sh --native   native only: xUnit, then Pester in real pwsh (no qemu)
#   tests/run.sh --live     live only: in the kernel rig (kernel/), on each kernel, the xUnit live suite and
#                           the Pester live suite (tag Live) in pwsh in the guest
# NLMONPS_KERNELS="6.1 6.12" picks the rig's kernels; NLMONPS_LIVE_TIMEOUT (s) bounds each guest run.
# A suite that cannot run (no pwsh, no Pester, no rig, no results) counts as a failure, never as a skip.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
results=$root/artifacts/test-results
rm -rf "$results" && mkdir -p "$results"
mode=${1:-all}
case $mode in all|--native|--live) ;; *) echo "usage: tests/run.sh [--native|--live]" >&2; exit 2 ;; esac
config=${NLMONPS_CONFIGURATION:-Release}
kernels=${NLMONPS_KERNELS:-6.1 6.12}
timeout=${NLMONPS_LIVE_TIMEOUT:-2400}
export NO_COLOR=1   # Pester's output as plain text in logs
t0=$SECONDS

passed=0 failed=0 skipped=0
failures=()   # "suite: test name" of each failed test, repeated at the end where a log's tail shows them
fail() { echo "$1"; failed=$((failed + 1)); failures+=("$1"); }
elapsed() { printf '%dm%02ds' $(((SECONDS - t0) / 60)) $(((SECONDS - t0) % 60)); }
summary() {
    local line="$passed passed, $failed failed"
    [[ $skipped -gt 0 ]] && line+=", $skipped skipped"
    echo "== done in $(elapsed)"
    [[ ${#failures[@]} -gt 0 ]] && printf 'FAILED %s\n' "${failures[@]}"
    echo "$line"
    [[ $failed -eq 0 ]]
    exit
}
count_xunit() {   # add up one xUnit XML result file; a missing file means the run itself failed
    local file=$1 what=$2 p=0 f=0 s=0 e=0 a
    [[ -s $file ]] || { fail "$what: no results (the test run did not complete)"; return; }
    while read -r a; do
        p=$((p + $(attr "$a" passed))); f=$((f + $(attr "$a" failed)))
        s=$((s + $(attr "$a" skipped) + $(attr "$a" not-run))); e=$((e + $(attr "$a" errors)))
    done < <(grep -o '<assembly [^>]*>' "$file")
    echo "$what: $p passed, $f failed, $s skipped, $e errors"
    passed=$((passed + p)); failed=$((failed + f + e)); skipped=$((skipped + s))
    failed_names "$what" "$file" '<test [^>]*result="Fail"[^>]*>' ' name="[^"]*"'
}
failed_names() {  # remembers the names of a result file's failed tests (xUnit <test>, NUnit <test-case>)
    local what=$1 file=$2 element=$3 name n
    while read -r name; do
        n=${name#*=\"}; failures+=("$what: ${n%\"}")
    done < <(grep -o "$element" "$file" | grep -o "$4")
}
attr() { local v; v=$(grep -o " $2=\"[0-9]*\"" <<<"$1" | tr -dc 0-9); echo "${v:-0}"; }
count_pester() {  # tests/pester.ps1 writes "passed failed skipped"
    local file=$1 what=$2 p f s
    [[ -s $file ]] || { fail "$what: no results (Pester did not complete)"; return; }
    read -r p f s < "$file"
    echo "$what: $p passed, $f failed, $s skipped"
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
    [[ -s ${file%.counts}.xml ]] && failed_names "$what" "${file%.counts}.xml" '<test-case [^>]*result="Failure"[^>]*>' ' name="[^"]*"'
}

echo "== set-up: apt packages, pwsh and Pester (.tools/)"
tools/install-apt.sh -f tests/apt-packages.txt || { fail "set-up: apt packages could not be installed"; summary; }
pwsh=$(tools/install-pwsh.sh --print) || { fail "set-up: pwsh/Pester could not be installed"; summary; }

echo "== build ($config) $(elapsed)"
if ! dotnet build NlmonPS.slnx -c "$config" -nologo -v quiet; then fail "build failed"; summary; fi
tests=$root/tests/NlmonPS.Tests/bin/$config/net10.0/NlmonPS.Tests

if [[ $mode != --live ]]; then
    echo "== native xUnit $(elapsed)"
    "$tests" -noLogo -noColor -trait- "Category=Live" -xml "$results/native.xml"
    count_xunit "$results/native.xml" "native xUnit"
    echo "== native Pester, pwsh $("$pwsh" -NoProfile -c '$PSVersionTable.PSVersion.ToString()') $(elapsed)"
    "$pwsh" -NoProfile -NonInteractive -File tests/pester.ps1 -ResultsDirectory "$results" -Name pester-native
    count_pester "$results/pester-native.counts" "native Pester"
fi

if [[ $mode != --native ]]; then
    for k in $kernels; do
        echo "== kernel rig $k: set-up $(elapsed)"
        if ! kernel/setup.sh --kernel "$k"; then
            fail "live $k: the kernel rig could not be set up"; continue
        fi
        # Inside, a missing kernel feature fails instead of skipping (NLMONPS_LIVE=1). The guest sees the host's
        # files read-only; results come back through the shared folder. Output streams as tests finish.
        echo "== live xUnit on $k $(elapsed)"
        NLMONPS_LIVE=1 NLMONPS_CONFIGURATION=$config kernel/run.sh --kernel "$k" --timeout "$timeout" --share "$results" -- \
            "$tests" -noLogo -noColor -parallel none -trait "Category=Live" -reporter verbose -xml "$results/live-$k.xml"
        count_xunit "$results/live-$k.xml" "live xUnit ($k)"
        echo "== live Pester on $k (pwsh in the guest) $(elapsed)"
        NLMONPS_LIVE=1 kernel/run.sh --kernel "$k" --timeout "$timeout" --share "$results" -- \
            "$pwsh" -NoProfile -NonInteractive -File tests/pester.ps1 -ResultsDirectory "$results" -Name "pester-live-$k" -Tag Live
        count_pester "$results/pester-live-$k.counts" "live Pester ($k)"
    done
fi
summary
