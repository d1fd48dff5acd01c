#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Where a traced command's own output goes: into the PowerShell streams (Information, tagged stdout/stderr) or nowhere,
# never onto the host process's descriptors, which over SSH remoting are the session's channel. The remoting case
# itself is in Remoting.Tests.ps1; here a child pwsh stands for the host, and its stdout must stay clean.

BeforeDiscovery {
    Import-Module "$PSScriptRoot/NlmonPS.TestHelpers.psm1"
    $script:Skip = $null -ne (Get-SkipReason)   # a missing ip fails, it does not skip
}

BeforeAll {
    Import-Module "$PSScriptRoot/NlmonPS.TestHelpers.psm1"
    Import-NlmonPS
    $script:Root = $RepoRoot
    $script:Module = Get-NlmonPSManifest
    $script:Pwsh = Get-Pwsh
}

Describe 'Trace-NetlinkCommand -CommandOutput' -Skip:$Skip {
    It 'puts each line of stdout and stderr in the Information stream, tagged, by default' {
        $info = $null
        $messages = Trace-NetlinkCommand { sh -c 'echo first; echo oops >&2; ip link show lo; echo last' } -InformationVariable info
        $messages.TypeName | Should -Contain 'RTM_NEWLINK'
        $messages | ForEach-Object { $_ | Should -BeOfType NlmonPS.Decoding.NetlinkMessage }
        $out = $info | Where-Object { $_.Tags -contains 'stdout' }
        $err = $info | Where-Object { $_.Tags -contains 'stderr' }
        $out.MessageData[0] | Should -Be 'first'
        $out.MessageData[-1] | Should -Be 'last'
        $out.MessageData | Should -Contain ($out.MessageData | Where-Object { $_ -like '1: lo:*' })
        $err.MessageData | Should -Be 'oops'
        $info | ForEach-Object { $_.Tags | Should -Contain 'NlmonPS.CommandOutput' }
        $info[0].Source | Should -Match '^sh -c'
    }

    It 'gives the command /dev/null as stdin, so it never reads the host''s' {
        $info = $null
        Trace-NetlinkCommand { sh -c 'cat; echo after-cat' } -InformationVariable info | Out-Null
        $info.MessageData | Should -Be 'after-cat'
    }

    It 'discards the output with None' {
        $info = $null
        $messages = Trace-NetlinkCommand { ip link show lo } -CommandOutput None -InformationVariable info
        $messages.TypeName | Should -Contain 'RTM_NEWLINK'
        $info | Should -BeNullOrEmpty
    }

    It 'bounds a line without newlines' {
        $info = $null
        Trace-NetlinkCommand { sh -c "head -c 40000 /dev/zero | tr '\000' x" } -InformationVariable info | Out-Null
        ($info.MessageData | ForEach-Object Length | Measure-Object -Sum).Sum | Should -Be 40000
        $info.MessageData | ForEach-Object { $_.Length | Should -BeLessOrEqual 16384 }
    }

    It 'never writes to the host process''s stdout unless asked (-CommandOutput Host)' {
        $script = "Import-Module '$Module'; Trace-NetlinkCommand { sh -c 'echo NLMONPS-MARKER' } -CommandOutput MODE | Out-Null; 'done'"
        $stream = & $Pwsh -NoProfile -NonInteractive -Command $script.Replace('MODE', 'Stream') 2>&1
        $stream | Should -Be 'done'
        $none = & $Pwsh -NoProfile -NonInteractive -Command $script.Replace('MODE', 'None') 2>&1
        $none | Should -Be 'done'
        $inherited = & $Pwsh -NoProfile -NonInteractive -Command $script.Replace('MODE', 'Host') 2>&1
        $inherited | Should -Be 'NLMONPS-MARKER', 'done'
    }

    It 'shows the lines with -InformationAction Continue' {
        $shown = & $Pwsh -NoProfile -NonInteractive -Command "Import-Module '$Module'; Trace-NetlinkCommand { sh -c 'echo visible-line' } -InformationAction Continue | Out-Null" 2>&1
        $shown | Should -Contain 'visible-line'
    }
}
