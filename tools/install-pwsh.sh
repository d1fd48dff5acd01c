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
        echo "$pwsh_version" > "$tools/pwsh/.version"
    fi
    if [[ ! -f $pester/Pester.psd1 || $(cat "$pester/.version" 2>/dev/null) != "$pester_version" ]]; then
        echo "install-pwsh: Pester $pester_version (NuGet) into $pester" >&2
        proj="$tools/pester-restore"
        rm -rf "$proj" && mkdir -p "$proj"
        # Empty Directory.*.props stop MSBuild's search upwards: the repository's central package management
        # (Directory.Packages.props) would otherwise refuse a version given here.
        echo '<Project />' > "$proj/Directory.Build.props"
        echo '<Project />' > "$proj/Directory.Packages.props"
        echo '<Project />' > "$proj/Directory.Build.targets"
        cat > "$proj/pester.csproj" <<EOF
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><TargetFramework>net10.0</TargetFramework></PropertyGroup>
  <ItemGroup><PackageDownload Include="Pester" Version="[$pester_version]" /></ItemGroup>
</Project>
EOF
        packages="$proj/packages"
        log=$(dotnet restore "$proj/pester.csproj" --packages "$packages" -nologo -v quiet 2>&1) \
            || { echo "$log" >&2; echo "install-pwsh: dotnet restore of Pester $pester_version failed" >&2; exit 1; }
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
