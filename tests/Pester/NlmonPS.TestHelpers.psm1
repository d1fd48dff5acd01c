# The one helper module of the Pester suite: where the built module is, which pwsh runs a child session, and the
# skipping rules every file follows. Import it at the top of BeforeDiscovery and BeforeAll:
#   Import-Module "$PSScriptRoot/NlmonPS.TestHelpers.psm1"
#
# Skipping rules: a test is skipped only for a kernel feature this kernel truly lacks (nlmon, the drop monitor),
# for a privilege this session lacks (root), or off Linux. A missing tool (ip, tc, ping, tshark...) is never a
# reason: the test runs and fails, so an incomplete install shows. Inside the kernel rig (NLMONPS_LIVE=1) nothing
# the stock kernel should have is skipped either: a missing feature there fails.

$RepoRoot = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
# Public captures beside the checkout (../shared/captures): read when present, their tests skipped when absent.
$SharedCaptures = Join-Path $RepoRoot '../shared/captures'

# The built module (dotnet build puts it in out/NlmonPS).
function Import-NlmonPS {
    $manifest = Join-Path $RepoRoot 'out/NlmonPS/NlmonPS.psd1'
    if (-not (Test-Path $manifest)) { throw "NlmonPS is not built ($manifest missing): run dotnet build NlmonPS.slnx -c Release" }
    Import-Module $manifest -Global
}

function Get-NlmonPSManifest { Join-Path $RepoRoot 'out/NlmonPS/NlmonPS.psd1' }

# The pwsh running this session, for child sessions. $PSHOME holds it whatever started pwsh: under the .NET tool
# (.tools/pwsh/pwsh) the process itself is `dotnet`, so (Get-Process -Id $PID).Path would not be pwsh.
function Get-Pwsh {
    $pwsh = Join-Path $PSHOME ($IsWindows ? 'pwsh.exe' : 'pwsh')
    if (-not (Test-Path $pwsh)) { throw "no pwsh in `$PSHOME ($PSHOME)" }
    $pwsh
}

# True inside the kernel rig (tests/run.sh sets NLMONPS_LIVE=1 there): kernel features must be present.
function Test-LiveRig { $env:NLMONPS_LIVE -eq '1' }

function Test-Root { $IsLinux -and ((& id -u) -eq '0') }

# Whether the running kernel has a feature: the module is loaded, built in, or loadable from /lib/modules.
function Test-KernelModule([Parameter(Mandatory)][string] $Name) {
    if (-not $IsLinux) { return $false }
    if (Test-Path "/sys/module/$Name") { return $true }
    $modules = "/lib/modules/$(& uname -r)"
    if (Test-Path "$modules/modules.builtin") {
        if (Select-String -Path "$modules/modules.builtin" -Pattern "/$Name\.ko$" -Quiet) { return $true }
    }
    [bool](Get-ChildItem $modules -Recurse -Filter "$Name.ko*" -ErrorAction Ignore | Select-Object -First 1)
}

# Why the tests that need these cannot run here, or $null when they can. -Root: CAP_NET_ADMIN, namespaces.
# -KernelModule: features of the kernel; never a reason inside the rig, where the stock kernel has them all.
function Get-SkipReason {
    param([switch] $Root, [string[]] $KernelModule = @())
    if (-not $IsLinux) { return 'needs Linux' }
    if ($Root -and -not (Test-Root)) { return 'needs root (CAP_NET_ADMIN, network namespaces)' }
    if (Test-LiveRig) { return $null }
    foreach ($m in $KernelModule) {
        if (-not (Test-KernelModule $m)) { return "this kernel ($(& uname -r)) has no $m (the kernel rig runs these)" }
    }
    $null
}

# Starts a pwsh that imports the module and runs $Command, waits until $Started says it has begun (polled, at most
# $TimeoutSeconds: pwsh starts slowly in the rig's emulated guest), then sends it SIGTERM, as timeout, systemctl stop
# and docker stop do, and waits for it to end. Throws if it never started.
function Stop-PwshWithSigterm {
    param([Parameter(Mandatory)][string] $Command, [Parameter(Mandatory)][scriptblock] $Started, [int] $TimeoutSeconds = 240)
    $out = [IO.Path]::GetTempFileName(); $err = [IO.Path]::GetTempFileName()
    $child = Start-Process (Get-Pwsh) -PassThru -RedirectStandardOutput $out -RedirectStandardError $err -ArgumentList @(
        '-NoProfile', '-NonInteractive', '-Command', "Import-Module '$(Get-NlmonPSManifest)'; $Command")
    try {
        $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
        while (-not (& $Started)) {
            if ($child.HasExited -or [DateTime]::UtcNow -gt $deadline) {
                throw "the child pwsh never started '$Command' (exited: $($child.HasExited)): $(Get-Content -Raw $out) $(Get-Content -Raw $err)"
            }
            Start-Sleep -Milliseconds 250
        }
        & kill -TERM $child.Id
        if (-not $child.WaitForExit(60000)) { throw "the child pwsh did not end within 60 s of SIGTERM" }
    }
    finally {
        if (-not $child.HasExited) { $child.Kill() }
        Remove-Item $out, $err -ErrorAction SilentlyContinue
    }
}

Export-ModuleMember -Function Stop-PwshWithSigterm, Import-NlmonPS, Get-NlmonPSManifest, Get-Pwsh, Test-LiveRig, Test-Root, Test-KernelModule, Get-SkipReason -Variable RepoRoot, SharedCaptures
