#!/usr/bin/env bash
# Builds NlmonPS and runs every test: the native suite on this machine, then the live suite inside the stock
# kernel rig (kernel/), and prints one line "N passed, N failed[, N skipped]". Exits non-zero on any failure.
#   tests/run.sh            native + live
#   tests/run.sh --native   native only (no qemu)
#   tests/run.sh --live     live only
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
results=$root/artifacts/test-results
rm -rf "$results" && mkdir -p "$results"
mode=${1:-all}
config=${NLMONPS_CONFIGURATION:-Release}

echo "== build ($config)"
if ! dotnet build NlmonPS.slnx -c "$config" -nologo -v quiet; then
    echo "build failed"
    echo "0 passed, 1 failed"
    exit 1
fi
tests=$root/tests/NlmonPS.Tests/bin/$config/net10.0/NlmonPS.Tests

passed=0 failed=0 skipped=0
count() {   # add up one xUnit XML result file; a missing file means the run itself failed
    local file=$1 what=$2
    if [[ ! -s $file ]]; then
        echo "$what: no results (the test run did not complete)"
        failed=$((failed + 1))
        return
    fi
    read -r p f s e < <(python3 - "$file" <<'PY'
import sys, xml.etree.ElementTree as ET
t = ET.parse(sys.argv[1]).getroot()
a = t.findall('assembly') or [t]
print(sum(int(x.get('passed', 0)) for x in a), sum(int(x.get('failed', 0)) for x in a),
      sum(int(x.get('skipped', 0)) for x in a), sum(int(x.get('errors', 0)) for x in a))
PY
)
    echo "$what: $p passed, $f failed, $s skipped, $e errors"
    passed=$((passed + p)); failed=$((failed + f + e)); skipped=$((skipped + s))
}

if [[ $mode != --live ]]; then
    echo "== native tests"
    "$tests" -noLogo -noColor -trait- "Category=Live" -xml "$results/native.xml"
    count "$results/native.xml" "native"
fi

if [[ $mode != --native ]]; then
    echo "== live tests on the stock kernel (kernel/)"
    if [[ ! -x kernel/run.sh ]] || ! kernel/setup.sh; then
        echo "live: the kernel rig could not be set up"
        failed=$((failed + 1))
    else
        # The guest sees the host's files read-only; results come back through the shared folder.
        NLMONPS_LIVE=1 NLMONPS_CONFIGURATION=$config kernel/run.sh --timeout "${NLMONPS_LIVE_TIMEOUT:-2400}" --share "$results" -- \
            "$tests" -noLogo -noColor -parallel none -trait "Category=Live" -xml "$results/live.xml"
        count "$results/live.xml" "live"
    fi
fi

summary="$passed passed, $failed failed"
[[ $skipped -gt 0 ]] && summary+=", $skipped skipped"
echo "$summary"
[[ $failed -eq 0 ]]
