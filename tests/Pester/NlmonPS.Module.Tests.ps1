#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Pester 5 suite for real pwsh 7.4+: run with ./build.ps1 Test, or Invoke-Pester tests/Pester after dotnet build.

# -ForEach data is read at discovery, before any BeforeAll runs: the cmdlet list comes from BeforeDiscovery.
BeforeDiscovery {
    Import-Module "$PSScriptRoot/NlmonPS.TestHelpers.psm1"
    Import-NlmonPS
    $script:Cmdlets = @((Get-Module NlmonPS).ExportedCmdlets.Keys)
}

BeforeAll {
    Import-Module "$PSScriptRoot/NlmonPS.TestHelpers.psm1"
    Import-NlmonPS
    $script:Root = $RepoRoot
}

Describe 'NlmonPS module' {
    It 'has a valid manifest' {
        { Test-ModuleManifest -Path "$Root/out/NlmonPS/NlmonPS.psd1" -ErrorAction Stop } | Should -Not -Throw
    }

    It 'exports every cmdlet the manifest lists' {
        $listed = (Import-PowerShellDataFile "$Root/NlmonPS.psd1").CmdletsToExport
        $exported = (Get-Module NlmonPS).ExportedCmdlets.Keys
        foreach ($name in $listed) { $exported | Should -Contain $name }
    }

    Context 'help of <_>' -ForEach $Cmdlets {
        BeforeAll {
            $script:Help = Get-Help $_ -Full
            $script:Command = Get-Command $_
        }
        It 'has a synopsis and a description' {
            $Help.Synopsis | Should -Not -BeNullOrEmpty
            ($Help.description.Text -join '') | Should -Not -BeNullOrEmpty
        }
        It 'documents every parameter' {
            $common = [System.Management.Automation.Cmdlet]::CommonParameters + [System.Management.Automation.Cmdlet]::OptionalCommonParameters
            foreach ($p in $Command.Parameters.Keys | Where-Object { $_ -notin $common }) {
                $doc = $Help.parameters.parameter | Where-Object name -EQ $p
                $doc | Should -Not -BeNullOrEmpty -Because "-$p must be documented"
                ($doc.description.Text -join '') | Should -Not -BeNullOrEmpty -Because "-$p needs a description"
            }
        }
        It 'has an example' {
            @($Help.examples.example).Count | Should -BeGreaterOrEqual 1
        }
    }
}
