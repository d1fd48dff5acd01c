#!/usr/bin/env bash
# tools/install-pwsh.sh - puts real pwsh and Pester into .tools/ of this checkout (git-ignored), from NuGet:
#   .tools/pwsh/pwsh               pwsh, the .NET tool `PowerShell` (dotnet tool install --tool-path)
#   .tools/modules/Pester/         the Pester module (the NuGet package's tools/ folder, restored by dotnet)
# Idempotent and quiet: when both are there at the wanted versions it does nothing (a few ms). Needs only the
# .NET SDK. Prints the pwsh path with --print. Used by demo.sh, tests/run.sh, build.ps1 and bench/.
#   NLMONPS_PWSH_VERSION    default 7.6.10 (the tool's latest, 7.7.0, does not start on this SDK)
#   NLMONPS_PESTER_VERSION  default 5.9.1 (6.2.0 also works)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$root/.tools"
pwsh_version=${NLMONPS_PWSH_VERSION:-7.6.10}
pester_version=${NLMONPS_PESTER_VERSION:-5.9.1}
pwsh="$tools/pwsh/pwsh"
pester="$tools/modules/Pester"

# A restore of NuGet packages (PackageDownload) into $1/packages. Empty Directory.*.props stop MSBuild's search
# upwards: the repository's central package management (Directory.Packages.props) would refuse versions given here.
restore() { # DIR NAME VERSION
    rm -rf "$1" && mkdir -p "$1"
    echo '<Project />' > "$1/Directory.Build.props"
    echo '<Project />' > "$1/Directory.Packages.props"
    echo '<Project />' > "$1/Directory.Build.targets"
    cat > "$1/restore.csproj" <<EOF
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><TargetFramework>net10.0</TargetFramework></PropertyGroup>
  <ItemGroup><PackageDownload Include="$2" Version="[$3]" /></ItemGroup>
</Project>
EOF
    local log
    log=$(dotnet restore "$1/restore.csproj" --packages "$1/packages" -nologo -v quiet 2>&1) \
        || { echo "$log" >&2; echo "install-pwsh: dotnet restore of $2 $3 failed" >&2; return 1; }
}

# The PowerShell tool package ships its assemblies as IL only (Microsoft's own pwsh packages ship them
# precompiled): every start JIT-compiles the engine, seconds here and a minute under the rig's emulation
# (kernel/). Precompile the ones pwsh starts with, ReadyToRun, with crossgen2 (NuGet) for this .NET runtime.
precompile() {
    local rid runtime dir cg fw f out home
    case "$(uname -m)" in x86_64) rid=linux-x64 ;; aarch64) rid=linux-arm64 ;; *) return 1 ;; esac
    runtime=$(dotnet --list-runtimes | awk '$1 == "Microsoft.NETCore.App" && $2 ~ /^10\./ { v = $2; d = $3 } END { print v }')
    fw=$(dotnet --list-runtimes | awk -v v="$runtime" '$1 == "Microsoft.NETCore.App" && $2 == v { gsub(/[][]/, "", $3); print $3 "/" v }')
    [[ -n $runtime && -d $fw ]] || return 1
    echo "install-pwsh: precompiling pwsh (crossgen2 $runtime, ReadyToRun)" >&2
    dir="$tools/crossgen-restore"
    restore "$dir" "Microsoft.NETCore.App.Crossgen2.$rid" "$runtime" || return 1
    cg="$dir/packages/microsoft.netcore.app.crossgen2.$rid/$runtime/tools/crossgen2"
    home=$(dirname "$(find "$tools/pwsh/.store" -path '*/unix/pwsh.dll' | head -n1)")
    [[ -x $cg && -d $home ]] || return 1
    for f in System.Management.Automation Microsoft.PowerShell.ConsoleHost Microsoft.PowerShell.Commands.Utility \
             Microsoft.PowerShell.Commands.Management Microsoft.PowerShell.Security Microsoft.PowerShell.SDK pwsh \
             Newtonsoft.Json; do
        [[ -f $home/$f.dll ]] || continue
        out="$dir/$f.dll"
        "$cg" "$home/$f.dll" -o "$out" -r "$home/*.dll" -r "$fw/*.dll" --targetos linux --targetarch "${rid#linux-}" -O \
            >/dev/null 2>&1 && mv "$out" "$home/$f.dll" || echo "install-pwsh: $f.dll stays IL" >&2
    done
    rm -rf "$dir"
}

done_already() {
    [[ -x $pwsh && $(cat "$tools/pwsh/.version" 2>/dev/null) == "$pwsh_version" &&
       -f $pester/Pester.psd1 && $(cat "$pester/.version" 2>/dev/null) == "$pester_version" ]]
}

if ! done_already; then
    mkdir -p "$tools"
    exec 9>"$tools/.lock"
    flock 9   # demo.sh and tests/run.sh may run at once
    if [[ ! -x $pwsh || $(cat "$tools/pwsh/.version" 2>/dev/null) != "$pwsh_version" ]]; then
        echo "install-pwsh: pwsh $pwsh_version (dotnet tool PowerShell) into $tools/pwsh" >&2
        rm -rf "$tools/pwsh"
        log=$(dotnet tool install --tool-path "$tools/pwsh" PowerShell --version "$pwsh_version" 2>&1) \
            || { echo "$log" >&2; echo "install-pwsh: dotnet tool install PowerShell $pwsh_version failed" >&2; exit 1; }
        precompile || echo "install-pwsh: pwsh left as IL only (it works, but starts slower)" >&2
        echo "$pwsh_version" > "$tools/pwsh/.version"
    fi
    if [[ ! -f $pester/Pester.psd1 || $(cat "$pester/.version" 2>/dev/null) != "$pester_version" ]]; then
        echo "install-pwsh: Pester $pester_version (NuGet) into $pester" >&2
        proj="$tools/pester-restore"
        restore "$proj" Pester "$pester_version" || exit 1
        packages="$proj/packages"
        src="$packages/pester/$pester_version/tools"
        [[ -f $src/Pester.psd1 ]] || { echo "install-pwsh: no Pester.psd1 in the Pester $pester_version package" >&2; exit 1; }
        rm -rf "$pester" && mkdir -p "$tools/modules"
        cp -r "$src" "$pester"
        echo "$pester_version" > "$pester/.version"
        rm -rf "$proj"
    fi
fi
[[ ${1:-} == --print ]] && echo "$pwsh"
exit 0
