# Runs in ONE warm pwsh session (bench/pipelines.sh starts it): each PowerShell pipeline's own CPU time (this
# process's TotalProcessorTime before and after it), interleaved, pair by pair and round by round, with the tshark
# command it is compared with, run as a whole process under /usr/bin/time (a child's CPU is not in ours).
# Prints one line per run, for the shell script to take the best of:
#   RUN <name> <cpu seconds> <wall seconds>
# Pairs come from a tab-separated file: name, PowerShell pipeline, tshark name, tshark arguments (may be empty).
param(
    [Parameter(Mandatory)] [string] $Module,
    [Parameter(Mandatory)] [string] $Pairs,
    [int] $Rounds = 3,
    [string] $WarmUp,
    [string] $Work = 'bench/.data'
)
$ErrorActionPreference = "Stop"   # for the set-up; each pipeline runs with "Continue" (its errors dropped)
Import-Module $Module

# PowerShell's own part of a pipeline, the floor under it: Write-BenchObject writes one object N times and does
# nothing else, so `Write-BenchObject -InputObject $m -Count N | Measure-Object` is what a reader and decoder that
# cost nothing would measure (the pairs' "floor_" pipelines; $BenchMessage is a message of the bench mix).
Add-Type -TypeDefinition @'
using System.Management.Automation;
[Cmdlet(VerbsCommunications.Write, "BenchObject")]
public sealed class WriteBenchObjectCommand : PSCmdlet
{
    [Parameter(Mandatory = true)] public object InputObject { get; set; }
    [Parameter(Mandatory = true)] public int Count { get; set; }
    protected override void ProcessRecord() { for (int i = 0; i < Count; i++) WriteObject(InputObject); }
}
'@ -PassThru | Select-Object -First 1 | ForEach-Object { Import-Module $_.Assembly }
$BenchMessage = Get-NetlinkMessage -Path tests/fixtures/route-link-addr.pcap -MessageType RTM_NEWADDR | Select-Object -First 1
$self = [System.Diagnostics.Process]::GetCurrentProcess()

function Measure-Pipeline([string] $name, [string] $pipeline) {
    $block = [scriptblock]::Create($pipeline)
    [GC]::Collect()
    $self.Refresh()
    $cpu0 = $self.TotalProcessorTime
    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    # Errors (the mixes hold a few malformed messages on purpose) are dropped, not rendered: rendering is the host's.
    $null = & { $ErrorActionPreference = 'Continue'; & $block } 2>$null
    $clock.Stop()
    $self.Refresh()
    'RUN {0} {1:F3} {2:F3}' -f $name, ($self.TotalProcessorTime - $cpu0).TotalSeconds, $clock.Elapsed.TotalSeconds
}

function Measure-Tshark([string] $name, [string] $arguments) {
    $timeFile = Join-Path $Work "time.$PID"
    $argv = @('-f', '%e %U %S', '-o', $timeFile, 'tshark') + ($arguments -split "`u{1f}")
    & /usr/bin/time @argv > /dev/null 2>$null
    $wall, $user, $sys = (Get-Content $timeFile | Select-Object -Last 1) -split ' '
    Remove-Item $timeFile
    'RUN {0} {1:F3} {2:F3}' -f $name, ([double]$user + [double]$sys), [double]$wall
}

$list = Get-Content $Pairs | Where-Object { $_ -and -not $_.StartsWith('#') } | ForEach-Object {
    $name, $pipeline, $tsharkName, $tsharkArgs = $_ -split "`t"
    [pscustomobject]@{ Name = $name; Pipeline = $pipeline; TsharkName = $tsharkName; TsharkArgs = $tsharkArgs }
}

# Warm: the module's code jitted and its tables built once, as in a session that has run a command before.
if ($WarmUp) { $null = Measure-Pipeline warmup $WarmUp }

$doneTshark = @{}
for ($round = 1; $round -le $Rounds; $round++) {
    foreach ($pair in $list) {
        Measure-Pipeline $pair.Name $pair.Pipeline
        # A tshark command shared by several pipelines runs once per round.
        if ($pair.TsharkName -and -not $doneTshark["$round/$($pair.TsharkName)"]) {
            $doneTshark["$round/$($pair.TsharkName)"] = $true
            Measure-Tshark $pair.TsharkName $pair.TsharkArgs
        }
    }
}
