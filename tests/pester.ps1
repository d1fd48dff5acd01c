# Runs the Pester suite (tests/Pester) with the Pester that tools/install-pwsh.sh put in .tools/, in the pwsh
# that runs this script, printing Pester's normal output as tests finish. Used by tests/run.sh (natively and in
# the kernel rig) and build.ps1:
#   .tools/pwsh/pwsh -NoProfile -File tests/pester.ps1 [-ResultsDirectory DIR] [-Name NAME] [-Tag Live]
# Writes DIR/NAME.xml (NUnit XML) and DIR/NAME.counts ("passed failed skipped", read by tests/run.sh); exits 1
# when a test, a block or a file failed.
param(
    [string] $ResultsDirectory = (Join-Path $PSScriptRoot '../artifacts/test-results'),
    [string] $Name = 'pester',
    [string[]] $Tag = @()
)
$ErrorActionPreference = 'Stop'
$pester = Join-Path $PSScriptRoot '../.tools/modules/Pester/Pester.psd1'
if (-not (Test-Path $pester)) { throw "Pester is not installed ($pester missing): run tools/install-pwsh.sh" }
Import-Module $pester
$null = New-Item -ItemType Directory -Force -Path $ResultsDirectory

$config = New-PesterConfiguration
$config.Run.Path = Join-Path $PSScriptRoot 'Pester'
$config.Run.PassThru = $true
$config.Run.Exit = $false
$config.Output.Verbosity = 'Normal'
$config.Output.RenderMode = ($env:NO_COLOR -or [Console]::IsOutputRedirected) ? 'Plaintext' : 'Auto'   # plain text in logs
$config.TestResult.Enabled = $true
$config.TestResult.OutputPath = Join-Path $ResultsDirectory "$Name.xml"
if ($Tag) { $config.Filter.Tag = $Tag }
$result = Invoke-Pester -Configuration $config

# A block or file that failed outside any test (BeforeAll, discovery) counts as one failure each.
$failed = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
# Tests the tag filter left out (NotRun: the rig runs only Live blocks) ran in the other run: not counted as skipped.
"$($result.PassedCount) $failed $($result.SkippedCount)" |
    Set-Content -Path (Join-Path $ResultsDirectory "$Name.counts")
exit ([int]($failed -gt 0))
