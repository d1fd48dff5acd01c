#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Pester 5 tests of New-/Get-/Remove-PortMirror for real pwsh 7.4+ on Linux, as root. Run with ./build.ps1 Test,
# or Invoke-Pester tests/Pester/PortMirror.Tests.ps1 after dotnet build.
#
# Every test gets private network namespaces: the mirror namespace holds va (the source), vm/vm-peer (the
# destination) and vb/vb-peer; a second namespace holds va-peer with an address, so pinging va from it makes
# frames va receives (echo requests) and sends (echo replies). The cmdlets run in a child pwsh started with
# `ip netns exec`, so this pwsh never leaves its own namespace; results come back as JSON. ip, tc and ping
# (iputils-ping) must be installed: without them the tests fail.

BeforeDiscovery {
    Import-Module "$PSScriptRoot/NlmonPS.TestHelpers.psm1"
    $script:Skip = $null -ne (Get-SkipReason -Root)
}

BeforeAll {
    Import-Module "$PSScriptRoot/NlmonPS.TestHelpers.psm1"
    $script:Manifest = Get-NlmonPSManifest
    $script:Pwsh = Get-Pwsh

    # Runs a script in a child pwsh inside a namespace with the module imported. The script's output objects
    # come back (through JSON); so do its errors, as objects with FullyQualifiedErrorId, Category and Target.
    function Invoke-InNamespace {
        param([Parameter(Mandatory)][string] $Namespace, [Parameter(Mandatory)][string] $Script)
        $child = @"
`$ErrorActionPreference = 'Continue'
Import-Module '$Manifest'
`$out = @(& { $Script } 2>&1)
`$result = [ordered]@{
    Output = @(`$out | Where-Object { `$_ -isnot [System.Management.Automation.ErrorRecord] } | ForEach-Object {
        if (`$_ -is [NlmonPS.PortMirroring.PortMirror]) {
            [ordered]@{ Source = `$_.Source; Direction = "`$(`$_.Direction)"; Destinations = @(`$_.Destinations);
                        FilterKind = `$_.FilterKind; Priority = [int]`$_.Priority; Packets = [long]`$_.Packets;
                        Bytes = [long]`$_.Bytes; CreatedByNlmonPS = `$_.CreatedByNlmonPS;
                        QdiscCreatedByNlmonPS = `$_.QdiscCreatedByNlmonPS; Filters = @(`$_.Filters).Count }
        } else { "`$_" } })
    Errors = @(`$out | Where-Object { `$_ -is [System.Management.Automation.ErrorRecord] } | ForEach-Object {
        [ordered]@{ Id = `$_.FullyQualifiedErrorId; Category = "`$(`$_.CategoryInfo.Category)"; Target = "`$(`$_.TargetObject)"; Message = `$_.Exception.Message } })
}
'NLMONPS-JSON:' + (`$result | ConvertTo-Json -Depth 5 -Compress)
"@
        $encoded = [Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes($child))
        $lines = & ip netns exec $Namespace $Pwsh -NoProfile -NonInteractive -EncodedCommand $encoded
        if ($LASTEXITCODE -ne 0) { throw "child pwsh in $Namespace exited $LASTEXITCODE" }
        # Only the marked line is the result: the child's host also writes there (-WhatIf's "What if:" text).
        $json = @($lines | Where-Object { $_ -like 'NLMONPS-JSON:*' })
        if ($json.Count -ne 1) { throw "child pwsh in $Namespace printed no result: $($lines -join "`n")" }
        $json[0].Substring('NLMONPS-JSON:'.Length) | ConvertFrom-Json
    }

    function Get-TxPackets {
        param([string] $Namespace, [string] $Device)
        [long](& ip netns exec $Namespace cat "/sys/class/net/$Device/statistics/tx_packets")
    }

    function Get-Tc {
        param([string] $Namespace, [string[]] $Arguments)
        (& ip netns exec $Namespace tc @Arguments) -join "`n"
    }
}

# Not tagged Live: this host's kernel has everything these need (veth, clsact, u32, mirred), so they run natively.
# The rig's matchall path is the xUnit live suite's (PortMirrorMatchallTests); here each test starts a pwsh in a
# namespace, which takes a minute or more in the emulated guest.
Describe 'Port mirroring' -Skip:$Skip {
    BeforeEach {
        $suffix = [Guid]::NewGuid().ToString('N').Substring(0, 8)
        $script:Ns = "nlmonps-pester-$suffix"
        $script:Far = "nlmonps-pester-far-$suffix"
        # Each step checked: a set-up that failed must say so, not surface later as a missing device.
        $steps = @(
            "netns add $Ns", "netns add $Far"
            "-n $Ns link add va type veth peer name va-peer netns $Far"
            "-n $Ns link add vm type veth peer name vm-peer", "-n $Ns link add vb type veth peer name vb-peer"
            foreach ($dev in 'va', 'vm', 'vm-peer', 'vb', 'vb-peer', 'lo') { "-n $Ns link set $dev up" }
            "-n $Far link set va-peer up"
            "-n $Ns addr add 10.77.0.1/24 dev va", "-n $Far addr add 10.77.0.2/24 dev va-peer"
        )
        foreach ($step in $steps) {
            $said = & ip @($step -split ' ') 2>&1
            if ($LASTEXITCODE) { throw "set-up: ip $step failed ($LASTEXITCODE): $said" }
            if ($step -eq "netns add $Ns") {
                # No IPv6: a veth brought up sends DAD, MLD and router solicitations of its own for seconds, which
                # would count as frames the destination sent (the xUnit mirror tests' NetNamespace does the same).
                $said = & ip netns exec $Ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 2>&1
                if ($LASTEXITCODE) { throw "set-up: sysctl disable_ipv6 in $Ns failed ($LASTEXITCODE): $said" }
            }
        }
    }

    AfterEach {
        & ip netns del $Ns
        & ip netns del $Far
    }

    It 'mirrors frames received and sent by the source and counts the copies' {
        $created = Invoke-InNamespace $Ns 'New-PortMirror -Source va -Destination vm -Direction Both -PassThru'
        $created.Errors | Should -BeNullOrEmpty
        $mirror = $created.Output | Select-Object -First 1
        $mirror.Direction | Should -Be 'Both'
        $mirror.Destinations | Should -Be @('vm')
        $mirror.FilterKind | Should -BeIn @('matchall', 'u32')
        $mirror.CreatedByNlmonPS | Should -BeTrue
        $mirror.Filters | Should -Be 2

        $before = Get-TxPackets $Ns 'vm'
        & ip netns exec $Far ping -c 4 -i 0.2 -W 1 10.77.0.1 | Out-Null
        $LASTEXITCODE | Should -Be 0
        # Four echo requests in, four replies out (and ARP both ways): every one copied out of vm.
        ((Get-TxPackets $Ns 'vm') - $before) | Should -BeGreaterOrEqual 8

        $listed = Invoke-InNamespace $Ns 'Get-PortMirror -Source va'
        @($listed.Output).Count | Should -Be 1
        $listed.Output[0].Packets | Should -BeGreaterOrEqual 8
        $listed.Output[0].Bytes | Should -BeGreaterThan 0
    }

    It 'returns the existing mirror when run again' {
        $first = Invoke-InNamespace $Ns 'New-PortMirror va vm -PassThru'
        $again = Invoke-InNamespace $Ns 'New-PortMirror va vm -PassThru'
        $again.Errors | Should -BeNullOrEmpty
        $again.Output[0].Priority | Should -Be $first.Output[0].Priority
        @((Invoke-InNamespace $Ns 'Get-PortMirror').Output).Count | Should -Be 1
    }

    It 'lists a mirror made by hand with tc' {
        & ip netns exec $Ns tc qdisc add dev vb clsact
        & ip netns exec $Ns tc filter add dev vb egress prio 7 protocol all u32 match u32 0 0 action mirred egress mirror dev vm
        $listed = Invoke-InNamespace $Ns 'Get-PortMirror -Source vb'
        $listed.Errors | Should -BeNullOrEmpty
        $hand = $listed.Output | Select-Object -First 1
        $hand.CreatedByNlmonPS | Should -BeFalse
        $hand.FilterKind | Should -Be 'u32'
        $hand.Priority | Should -Be 7
        $hand.Direction | Should -Be 'Egress'
        $hand.Destinations | Should -Be @('vm')
    }

    It 'leaves nothing behind when removed' {
        $qdiscs = Get-Tc $Ns 'qdisc', 'show', 'dev', 'va'
        (Invoke-InNamespace $Ns 'New-PortMirror va vm').Errors | Should -BeNullOrEmpty
        (Get-Tc $Ns 'qdisc', 'show', 'dev', 'va') | Should -Match 'clsact'
        (Invoke-InNamespace $Ns 'Get-PortMirror -Source va | Remove-PortMirror').Errors | Should -BeNullOrEmpty
        (Get-Tc $Ns 'qdisc', 'show', 'dev', 'va') | Should -Be $qdiscs
        (Invoke-InNamespace $Ns 'Get-PortMirror').Output | Should -BeNullOrEmpty

        $before = Get-TxPackets $Ns 'vm'
        & ip netns exec $Far ping -c 2 -i 0.2 -W 1 10.77.0.1 | Out-Null
        (Get-TxPackets $Ns 'vm') | Should -Be $before
    }

    It 'keeps a clsact qdisc it did not add' {
        & ip netns exec $Ns tc qdisc add dev va clsact
        $LASTEXITCODE | Should -Be 0
        (Invoke-InNamespace $Ns 'New-PortMirror va vm; Remove-PortMirror -Source va').Errors | Should -BeNullOrEmpty
        (Get-Tc $Ns 'qdisc', 'show', 'dev', 'va') | Should -Match 'clsact'
    }

    It 'leaves alone a filter that took the place of an old object''s mirror, and warns' {
        $script = '$m = New-PortMirror va vm -Direction Egress -PassThru; Remove-PortMirror -Source va; ' +
            'New-PortMirror va vb -Direction Egress; $m | Remove-PortMirror -WarningVariable w 3>$null; "warnings=$($w.Count)"'
        $result = Invoke-InNamespace $Ns $script
        $result.Errors | Should -BeNullOrEmpty
        $result.Output | Should -Contain 'warnings=1'
        $left = (Invoke-InNamespace $Ns 'Get-PortMirror -Source va').Output
        @($left).Count | Should -Be 1
        $left[0].Destinations | Should -Be @('vb')
    }

    It 'keeps a clsact qdisc made by hand when an old object removes the mirror now on it' {
        # The object says NlmonPS made the qdisc it saw; the qdisc there now was made by hand, and the cookies say so.
        $script = '$m = New-PortMirror va vm -Direction Egress -PassThru; Remove-PortMirror -Source va; & tc qdisc add dev va clsact; ' +
            'New-PortMirror va vm -Direction Egress; $m | Remove-PortMirror'
        (Invoke-InNamespace $Ns $script).Errors | Should -BeNullOrEmpty
        (Invoke-InNamespace $Ns 'Get-PortMirror -Source va').Output | Should -BeNullOrEmpty
        (Get-Tc $Ns 'qdisc', 'show', 'dev', 'va') | Should -Match 'clsact'
    }

    It 'warns when a destination would get each frame twice' {
        $result = Invoke-InNamespace $Ns 'New-PortMirror va vm -Direction Egress; New-PortMirror va vm,vb -Direction Egress -WarningVariable w 3>$null; "warnings=$($w.Count)"'
        $result.Errors | Should -BeNullOrEmpty
        $result.Output | Should -Contain 'warnings=1'
    }

    It 'names what a hand-made filter does besides mirroring (removing the mirror removes it too)' {
        & ip netns exec $Ns tc qdisc add dev vb clsact
        & ip netns exec $Ns tc filter add dev vb egress prio 7 u32 match u32 0 0 action mirred egress mirror dev vm action mirred egress redirect dev vm-peer
        $LASTEXITCODE | Should -Be 0
        $result = Invoke-InNamespace $Ns 'Get-PortMirror -Source vb | ForEach-Object { $_.Filters.OtherActions }'
        $result.Output | Should -Be @('mirred egress redirect to vm-peer')
    }

    It 'refuses more destinations than a filter has actions, before changing anything' {
        $result = Invoke-InNamespace $Ns 'New-PortMirror -Source va -Destination (1..33 | ForEach-Object { "x$_" })'
        @($result.Errors).Count | Should -Be 1
        $result.Errors[0].Id | Should -BeLike 'ParameterArgumentValidationError,NlmonPS.Cmdlets.NewPortMirrorCommand'
        (Get-Tc $Ns 'qdisc', 'show', 'dev', 'va') | Should -Not -Match 'clsact'
    }

    It 'changes nothing with -WhatIf' {
        (Invoke-InNamespace $Ns 'New-PortMirror va vm -WhatIf').Errors | Should -BeNullOrEmpty
        (Get-Tc $Ns 'qdisc', 'show', 'dev', 'va') | Should -Not -Match 'clsact'
        (Invoke-InNamespace $Ns 'New-PortMirror va vm; Remove-PortMirror -Source va -WhatIf').Errors | Should -BeNullOrEmpty
        @((Invoke-InNamespace $Ns 'Get-PortMirror').Output).Count | Should -Be 1
    }

    It 'takes an egress mirror to the source''s veth peer: those copies do not come back to a mirrored hook' {
        $result = Invoke-InNamespace $Ns 'New-PortMirror -Source vm -Destination vm-peer -Direction Egress -PassThru | Out-Null; Remove-PortMirror -Source vm -Confirm:$false'
        @($result.Errors).Count | Should -Be 0
    }

    It 'removes a mirror saved with Export-Clixml and read back (a property bag, bound by Source and Destinations)' {
        $xml = Join-Path $TestDrive 'mirror.xml'
        $result = Invoke-InNamespace $Ns "New-PortMirror va vm -PassThru | Export-Clixml '$xml'; Import-Clixml '$xml' | Remove-PortMirror -Confirm:`$false; @(Get-PortMirror -Source va).Count"
        @($result.Errors).Count | Should -Be 0
        $result.Output[-1] | Should -Be '0'
    }

    It 'refuses <Case> with <Id>' -TestCases @(
        @{ Case = 'a missing source'; Script = 'New-PortMirror -Source nope -Destination vm'; Id = 'PortMirrorDeviceNotFound'; Category = 'ObjectNotFound'; Target = 'nope' }
        @{ Case = 'a missing destination'; Script = 'New-PortMirror -Source va -Destination gone0'; Id = 'PortMirrorDeviceNotFound'; Category = 'ObjectNotFound'; Target = 'gone0' }
        @{ Case = 'the source as destination'; Script = 'New-PortMirror -Source va -Destination va'; Id = 'PortMirrorLoop'; Category = 'InvalidArgument'; Target = 'va' }
        @{ Case = 'a mirror back to the source'; Script = 'New-PortMirror vm va; New-PortMirror va vm'; Id = 'PortMirrorLoop'; Category = 'InvalidArgument'; Target = 'vm' }
        # What leaves vm-peer arrives on vm's ingress: each copy would be mirrored again (700,000 frames a second).
        @{ Case = 'ingress to the source''s veth peer'; Script = 'New-PortMirror -Source vm -Destination vm-peer -Direction Ingress'; Id = 'PortMirrorLoop'; Category = 'InvalidArgument'; Target = 'vm-peer' }
    ) {
        param($Case, $Script, $Id, $Category, $Target)
        $result = Invoke-InNamespace $Ns $Script
        @($result.Errors).Count | Should -Be 1
        $result.Errors[0].Id | Should -BeLike "$Id,NlmonPS.Cmdlets.*"
        $result.Errors[0].Category | Should -Be $Category
        $result.Errors[0].Target | Should -Be $Target
    }
}
