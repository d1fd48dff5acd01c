#!/usr/bin/env bash
# One command from a fresh Debian 12 machine with the .NET SDK: installs what NlmonPS needs (libpcap and iproute2
# from apt, pwsh and Pester into .tools/ from NuGet), builds it, and shows decoded netlink messages in real pwsh
# through the module's own table view. It says which source it uses and why:
#   ./demo.sh         the best this machine has: live, else trace, else file
#   ./demo.sh live    nlmon capture of this machine's netlink traffic while `ip` runs (root, a kernel with nlmon)
#   ./demo.sh trace   the netlink conversation of `ip -d link show`, traced with ptrace (no nlmon, no root)
#   ./demo.sh file    a capture recorded through nlmon on Debian's stock kernel (tests/fixtures/)
# Exits 0 when messages were shown.
set -euo pipefail
cd "$(dirname "$0")"
source=${1:-auto}
case $source in auto|live|trace|file) ;; *) echo "usage: ./demo.sh [live|trace|file]" >&2; exit 2 ;; esac

echo "demo: checking apt packages (libpcap0.8, iproute2)"
tools/install-apt.sh libpcap0.8 iproute2
echo "demo: checking pwsh and Pester in .tools/ (a first install downloads ~70 MB from NuGet)"
pwsh=$(tools/install-pwsh.sh --print)
echo "demo: building NlmonPS (dotnet build, 1-3 minutes the first time)"
dotnet build NlmonPS.slnx -c Release -nologo -v minimal -clp:NoSummary 2>&1 | grep --line-buffered -E ' -> |error|warn' | sed -u 's/^ */  built: /'
[[ ${PIPESTATUS[0]} -eq 0 ]] || { echo "demo: the build failed" >&2; exit 1; }

# The choice and its reason are made in pwsh: the module itself says whether nlmon or tracing work here.
NLMONPS_DEMO_SOURCE=$source exec "$pwsh" -NoProfile -NonInteractive -Command '
$ErrorActionPreference = "Stop"
Import-Module ./out/NlmonPS/NlmonPS.psd1
$want = $env:NLMONPS_DEMO_SOURCE
$fixture = "tests/fixtures/route-link-addr.pcap"
$why = @{}
function Test-Live {
    if ((& id -u) -ne "0") { $why.live = "live capture needs root (CAP_NET_ADMIN)"; return $false }
    try { New-NlmonDevice -Name nlmonpsdemo -ErrorAction Stop; Remove-NlmonDevice -Name nlmonpsdemo; $true }
    catch { $why.live = "no live capture: $(($_.Exception.Message -split "(?<=\.) ")[0])"; $false }
}
function Test-Trace {
    try { $null = Trace-NetlinkCommand -FilePath true -ErrorAction Stop; $true }
    catch { $why.trace = "no tracing: $(($_.Exception.Message -split "(?<=\.) ")[0])"; $false }
}
$source = switch ($want) {
    "auto" { if (Test-Live) { "live" } elseif (Test-Trace) { "trace" } else { "file" } }
    default { $want }
}
$messages = switch ($source) {
    "live" {
        Write-Host "demo: source: live nlmon capture (root, and this kernel has nlmon): 20 messages while ip link/addr show run"
        $null = Start-ThreadJob { Start-Sleep 2; ip link show > $null; ip addr show > $null }
        Get-NetlinkMessage -Count 20 -Duration 15
    }
    "trace" {
        Write-Host "demo: source: ip -d link show, traced with ptrace$(if ($why.live) { " ($($why.live))" })"
        Trace-NetlinkCommand -FilePath sh -ArgumentList "-c", "ip -d link show > /dev/null"
    }
    "file" {
        $reason = @($why.live, $why.trace) -ne $null -join "; "
        Write-Host "demo: source: $fixture, recorded through nlmon on Debian 6.1 by kernel/record-fixtures.sh$(if ($reason) { " ($reason)" })"
        Get-NetlinkMessage -Path $fixture | Select-Object -First 20
    }
}
$messages = @($messages)
# The module'"'"'s table view, as wide as the terminal (160 columns when the output goes to a file or a pipe).
$width = [Console]::IsOutputRedirected ? 160 : [Math]::Max(80, $Host.UI.RawUI.WindowSize.Width)
if ([Console]::IsOutputRedirected) { $PSStyle.OutputRendering = "PlainText" }
$messages | Format-Table | Out-String -Stream -Width $width | Write-Host
Write-Host "demo: $($messages.Count) messages. Yourself: .tools/pwsh/pwsh, then Import-Module ./out/NlmonPS; Get-Help Get-NetlinkMessage -Full"
exit ([int]($messages.Count -eq 0))
'
