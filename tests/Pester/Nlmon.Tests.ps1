#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# The nlmon cmdlets and live capture in real pwsh (Select-Object, Format-*, Ctrl+C semantics), for people with
# pwsh: Invoke-Pester ./tests/Pester. The capture tests need root and a kernel with nlmon: they are skipped on a
# kernel without it and run in the kernel rig (tests/run.sh runs this suite there too, where they must pass).

BeforeDiscovery {
    Import-Module "$PSScriptRoot/NlmonPS.TestHelpers.psm1"
    $script:IsRoot = Test-Root
    $script:HasNlmon = $null -eq (Get-SkipReason -KernelModule nlmon)
    $script:Live = $null -eq (Get-SkipReason -Root -KernelModule nlmon)
}

BeforeAll {
    Import-Module "$PSScriptRoot/NlmonPS.TestHelpers.psm1"
    Import-NlmonPS
    $script:Root = $RepoRoot
    function script:NlmonNames { @(ip -o link show type nlmon | ForEach-Object { ($_ -split ':')[1].Trim() }) }
}

Describe 'Get-NetlinkMessage live parameters' -Tag Live {
    It 'refuses protocols nlmon never passes, naming the eight it does' {
        { Get-NetlinkMessage -Protocol Audit -Count 1 } | Should -Throw -ErrorId 'NlmonProtocolNotCaptured*'
        try { Get-NetlinkMessage -Protocol KobjectUevent -Count 1 } catch { $_.Exception.Message | Should -Match 'Route, Usersock, SockDiag, Nflog, Xfrm, FibLookup, Netfilter, Generic' }
    }

    It 'chooses the live set when there is no path, and still reads files by position' {
        (Get-Command Get-NetlinkMessage).DefaultParameterSet | Should -Be 'Live'
        @(Get-NetlinkMessage "$Root/tests/fixtures/native/kernel-link-addr.pcap" -ErrorAction Ignore).Count | Should -BeGreaterThan 10
    }

    It 'refuses a device name the other cmdlets would read as a pattern, before asking the kernel' {
        New-NlmonDevice -Name 'nlq*' -ErrorVariable e -ErrorAction SilentlyContinue
        $e[0].FullyQualifiedErrorId | Should -BeLike 'NlmonDeviceNameHasWildcards*'
        $e[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $e[0].TargetObject | Should -Be 'nlq*'
        NlmonNames | Should -Not -Contain 'nlq*'
    }

    It 'says why this kernel has no nlmon' -Skip:($HasNlmon -or -not $IsRoot) {
        { New-NlmonDevice -Name nlmonp9 } | Should -Throw -ErrorId 'Nlmon*'
        try { New-NlmonDevice -Name nlmonp9 } catch { $_.Exception.Message | Should -Match 'Trace-NetlinkCommand' }
    }
}

Describe 'nlmon devices and live capture' -Tag Live -Skip:(-not $Live) {
    BeforeAll {
        NlmonNames | Where-Object { $_ -like 'nlmonp*' } | ForEach-Object { ip link del $_ }
    }
    AfterAll {
        NlmonNames | Where-Object { $_ -like 'nlmonp*' } | ForEach-Object { ip link del $_ }
    }

    It 'creates, finds again, changes and removes a device' {
        $d = New-NlmonDevice -Name nlmonp0 -PassThru
        $d.State | Should -Be 'Up'
        (New-NlmonDevice -Name nlmonp0 -PassThru).Index | Should -Be $d.Index
        (Get-NlmonDevice -Name nlmonp*).Name | Should -Be 'nlmonp0'
        (Set-NlmonDevice -Name nlmonp0 -State Down -Mtu 4096 -PassThru).Mtu | Should -Be 4096
        Get-NlmonDevice nlmonp0 | Remove-NlmonDevice
        NlmonNames | Should -Not -Contain 'nlmonp0'
    }

    It 'removes the temporary device when pwsh is terminated (SIGTERM) during the capture' {
        if (Get-NlmonDevice | Where-Object State -eq Up) { Set-ItResult -Skipped -Because 'an nlmon device is up: no temporary device would be made' }
        $before = @(NlmonNames | Where-Object { $_ -like 'nlmonps*' })
        Stop-PwshWithSigterm -Command 'Get-NetlinkMessage | Out-Null' -Started { @(NlmonNames | Where-Object { $_ -like 'nlmonps*' }).Count -gt $before.Count }
        @(NlmonNames | Where-Object { $_ -like 'nlmonps*' }) | Should -Be $before
    }

    It 'Select-Object -First stops the capture and removes the temporary device' {
        if (Get-NlmonDevice | Where-Object State -eq Up) { Set-ItResult -Skipped -Because 'an nlmon device is up: no temporary device would be made' }
        # Traffic until the capture has its three (a fixed number of rounds could all run before a slow start in the rig).
        $job = Start-ThreadJob { while ($true) { ip link show > $null; Start-Sleep -Milliseconds 200 } }
        try {
            $m = Get-NetlinkMessage | Select-Object -First 3
            $m.Count | Should -Be 3
            $m[0].Source | Should -BeLike 'nlmonps*'
            NlmonNames | Where-Object { $_ -like 'nlmonps*' } | Should -BeNullOrEmpty
        } finally { $job | Stop-Job -PassThru | Remove-Job }
    }

    It 'decodes what ip sends, with the extended ACK of a refusal' {
        New-NlmonDevice -Name nlmonp1
        try {
            # Refused again every second until the capture has one (Select-Object stops it): on a slow machine the
            # job may start late, so no single moment is assumed; -Duration bounds the wait.
            $job = Start-ThreadJob { while ($true) { ip link add nlmonpv0 numtxqueues 0 type veth peer name nlmonpv1 2>&1 | Out-Null; Start-Sleep 1 } }
            $m = @(Get-NetlinkMessage -InterfaceName nlmonp1 -Protocol Route -MessageType NLMSG_ERROR -Duration 120 |
                Where-Object { $_.Error.ExtendedMessage -eq 'Invalid number of transmit queues' } | Select-Object -First 1)
            $job | Stop-Job -PassThru | Remove-Job
            $m | Should -Not -BeNullOrEmpty
            $m[0].Error.ErrorName | Should -Be 'EINVAL'
        } finally { Remove-NlmonDevice nlmonp1 }
    }

    It '-Filter on an attribute value keeps, live, what Where-Object keeps (the rest is judged on the bytes)' {
        New-NlmonDevice -Name nlmonp2
        ip link add nlmonpf0 type dummy
        ip link add nlmonpf1 type dummy
        try {
            # Both dummies asked for (RTM_GETLINK by name, answered by an RTM_NEWLINK) until the capture has its
            # answers about the first.
            $job = Start-ThreadJob { while ($true) { ip link show dev nlmonpf0 > $null; ip link show dev nlmonpf1 > $null; Start-Sleep -Milliseconds 300 } }
            $verbose = @()
            $m = @(Get-NetlinkMessage -InterfaceName nlmonp2 -Protocol Route -MessageType RTM_NEWLINK -Count 4 -Duration 120 -Verbose `
                -Filter { $_.Attributes.ifname -eq 'nlmonpf0' } 4>&1 | ForEach-Object { if ($_ -is [Management.Automation.VerboseRecord]) { $verbose += "$_" } else { $_ } })
            $job | Stop-Job -PassThru | Remove-Job
            $m.Count | Should -Be 4
            $m | ForEach-Object {
                $_.Attributes.ifname | Should -Be 'nlmonpf0'
                $_.TypeName | Should -Be 'RTM_NEWLINK'
                $_.IsMalformed | Should -BeFalse
            }
            # The same messages through Where-Object: the filter kept exactly those.
            @($m | Where-Object { $_.Attributes.ifname -eq 'nlmonpf0' }).Count | Should -Be 4
            $verbose | Should -Contain "-Filter's condition on `$_.Attributes.ifname is also judged on each message's bytes, before decoding, where the message's layout allows."
        } finally {
            ip link del nlmonpf0
            ip link del nlmonpf1
            Remove-NlmonDevice nlmonp2
        }
    }
}
