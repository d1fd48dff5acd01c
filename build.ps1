#Requires -Version 7.4
<#
.SYNOPSIS
    Builds, tests, documents, packages and installs NlmonPS (for people with pwsh; CI uses tests/run.sh).
.EXAMPLE
    ./build.ps1                 # Build
    ./build.ps1 Test            # xUnit suite (native), then the Pester suite (Pester from tools/install-pwsh.sh)
    ./build.ps1 Docs            # docs/cmdlets/*.md from en-US/NlmonPS.dll-Help.xml (needs platyPS)
    ./build.ps1 Package         # artifacts/NlmonPS.<version>.nupkg, accepted by the PowerShell Gallery
    ./build.ps1 Install         # copies out/NlmonPS into your user module path
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Docs', 'Package', 'Install')]
    [string[]] $Task = 'Build',
    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release'
)
$ErrorActionPreference = 'Stop'
Set-Location $PSScriptRoot
$module = Join-Path $PSScriptRoot 'out/NlmonPS'

function Invoke-Build {
    dotnet build NlmonPS.slnx -c $Configuration -nologo
    if ($LASTEXITCODE) { throw "dotnet build failed ($LASTEXITCODE)" }
}

function Invoke-Test {
    # xUnit (native; the live suite needs the kernel rig: tests/run.sh --live), then Pester with the Pester that
    # tools/install-pwsh.sh puts in .tools/, through the one runner tests/run.sh uses too.
    & "$PSScriptRoot/tests/NlmonPS.Tests/bin/$Configuration/net10.0/NlmonPS.Tests" -noLogo -trait- 'Category=Live'
    if ($LASTEXITCODE) { throw "xUnit tests failed ($LASTEXITCODE)" }
    & "$PSScriptRoot/tools/install-pwsh.sh"
    if ($LASTEXITCODE) { throw 'tools/install-pwsh.sh could not install Pester' }
    & (Join-Path $PSHOME 'pwsh') -NoProfile -NonInteractive -File "$PSScriptRoot/tests/pester.ps1"
    if ($LASTEXITCODE) { throw 'Pester tests failed' }
}

function Invoke-Docs {
    if (-not (Get-Module -ListAvailable platyPS)) { throw 'platyPS is not installed: Install-Module platyPS' }
    Import-Module platyPS
    Import-Module $module -Force
    $out = Join-Path $PSScriptRoot 'docs/cmdlets'
    New-Item -ItemType Directory -Force -Path $out | Out-Null
    # The MAML in en-US is the source; the markdown is rendered from it (what Get-Help shows).
    New-MarkdownHelp -Module NlmonPS -OutputFolder $out -Force -WithModulePage -AlphabeticParamsOrder:$false | Out-Null
    Write-Host "Wrote $(@(Get-ChildItem $out -Filter *.md).Count) pages to $out"
}

function Invoke-Package {
    $artifacts = Join-Path $PSScriptRoot 'artifacts'
    New-Item -ItemType Directory -Force -Path $artifacts | Out-Null
    # A repository of our own for the publish step, removed again: the user's PSResource configuration is left
    # as it was found.
    $repo = "NlmonPSLocal-$PID"
    Register-PSResourceRepository -Name $repo -Uri $artifacts -Trusted
    try {
        Test-ModuleManifest -Path (Join-Path $module 'NlmonPS.psd1') | Out-Null
        Publish-PSResource -Path $module -Repository $repo
    }
    finally { Unregister-PSResourceRepository -Name $repo }
    Get-ChildItem $artifacts -Filter 'NlmonPS.*.nupkg' | Select-Object -ExpandProperty FullName
}

function Invoke-Install {
    $version = (Import-PowerShellDataFile (Join-Path $module 'NlmonPS.psd1')).ModuleVersion
    $userModules = ($env:PSModulePath -split [IO.Path]::PathSeparator)[0]
    $target = Join-Path $userModules "NlmonPS/$version"
    New-Item -ItemType Directory -Force -Path $target | Out-Null
    Copy-Item -Path "$module/*" -Destination $target -Recurse -Force
    Write-Host "Installed NlmonPS $version to $target"
}

foreach ($t in $Task) {
    if ($t -ne 'Build' -and -not (Test-Path (Join-Path $module 'NlmonPS.dll'))) { Invoke-Build }
    & "Invoke-$t"
}
