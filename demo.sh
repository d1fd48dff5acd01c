#!/usr/bin/env bash
# One command from a fresh Debian 12 machine with the .NET SDK: install what NlmonPS needs, build it, and show
# decoded netlink messages. Uses the best source this machine has: live nlmon capture while `ip` talks to the
# kernel, else the netlink conversation of `ip` traced with ptrace, else a capture recorded on a real kernel.
set -euo pipefail
cd "$(dirname "$0")"
sudo=""; [[ $(id -u) -eq 0 ]] || sudo=sudo
if ! ldconfig -p | grep -q libpcap.so.0.8; then
    $sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libpcap0.8 iproute2
fi
dotnet build NlmonPS.slnx -c Release -nologo -v quiet
host=src/NlmonPS.Host/bin/Release/net10.0/nlmonps-host
source=${1:-auto}
if [[ $source == auto ]]; then
    if $host 'Get-Command Get-NlmonDevice -ErrorAction Ignore' | grep -q Get-NlmonDevice && [[ -e /sys/module/nlmon || -n $(find /lib/modules/"$(uname -r)" -name 'nlmon.ko*' 2>/dev/null | head -1) ]]; then
        source=live
    elif $host 'Get-Command Trace-NetlinkCommand -ErrorAction Ignore' | grep -q Trace-NetlinkCommand; then
        source=trace
    else
        source=file
    fi
fi
case $source in
    live)  ( sleep 3; ip link show >/dev/null; ip addr show >/dev/null ) &
           exec $host 'Get-NetlinkMessage -Count 20 -Duration 10' ;;
    trace) exec $host 'Trace-NetlinkCommand -FilePath ip -ArgumentList "-d", "link", "show"' ;;
    *)     exec $host 'Get-NetlinkMessage -Path tests/fixtures/native/kernel-link-addr.pcap' ;;
esac
