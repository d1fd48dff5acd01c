#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }

# Pester 5 tests of reading and writing capture files. The public captures in ../shared/captures (beside the
# checkout) are read when present; their tests are skipped when the folder is absent (they are never committed).

# -Skip conditions are read at discovery, before BeforeAll runs: the shared captures' folder is known here.
BeforeDiscovery {
    Import-Module "$PSScriptRoot/NlmonPS.TestHelpers.psm1"
    $script:Shared = $SharedCaptures
}

BeforeAll {
    Import-Module "$PSScriptRoot/NlmonPS.TestHelpers.psm1"
    Import-NlmonPS
    $script:Root = $RepoRoot
    $script:Kernel = "$Root/tests/fixtures/native/kernel-link-addr.pcap"
    $script:Shared = $SharedCaptures
}

Describe 'Get-NetlinkMessage -Path' {
    It 'decodes the links and addresses a real kernel sent' {
        $messages = Get-NetlinkMessage -Path $Kernel -ErrorAction SilentlyContinue
        $links = $messages | Where-Object TypeName -EQ 'RTM_NEWLINK' | Where-Object Direction -EQ 'FromKernel'
        $links.Attributes.ifname | Should -Contain 'lo'
        ($links | Where-Object { $_.Attributes.ifname -eq 'd0' }).Attributes.mtu | Should -Be 9000
        # Not `(...).Attributes.address`: member enumeration would find the array's own Address() method first.
        ($messages | Where-Object TypeName -EQ 'RTM_NEWADDR' | ForEach-Object { $_.Attributes.address }).IPAddressToString | Should -Contain '10.9.0.1'
    }

    It 'resolves an extended ACK offset to an attribute path' {
        $err = Get-NetlinkMessage -Path $Kernel -MessageType NLMSG_ERROR | Where-Object { $_.Error.ErrorName -eq 'EINVAL' }
        $err.Error.AttributePath | Should -Be '.family_name'
        $err.Error.ExtendedMessage | Should -Be 'Attribute failed policy validation'
    }

    It 'filters generic netlink by family and command inside the reader as Where-Object would (<Pattern>)' -ForEach @(
        @{ Pattern = 'ETHTOOL_MSG_*' }, @{ Pattern = 'mptcp_pm*' }, @{ Pattern = 'RTM_NEWADDR' }
    ) {
        $files = 'genl-ethtool-lo.pcap', 'genl-ctrl-list.pcap', 'genl-mptcp.pcap' | ForEach-Object { "$Root/tests/fixtures/native/$_" }
        $filtered = Get-NetlinkMessage -Path $files -MessageType $Pattern -ErrorAction SilentlyContinue |
            ForEach-Object { "$($_.Source)/$($_.RecordNumber)/$($_.Index)" }
        $expected = Get-NetlinkMessage -Path $files -ErrorAction SilentlyContinue |
            Where-Object { $_.TypeName -like $Pattern -or $_.Command -like $Pattern } |
            ForEach-Object { "$($_.Source)/$($_.RecordNumber)/$($_.Index)" }
        @($filtered) | Should -Be @($expected)
    }

    It 'reads attributes like a hashtable: ContainsKey, and entries with Key and Value' {
        $m = Get-NetlinkMessage -Path "$Root/tests/fixtures/route-link-addr.pcap" -MessageType RTM_NEWLINK -Count 1
        $m.Attributes.ContainsKey('ifname') | Should -BeTrue
        $m.Attributes.ContainsKey('IFNAME') | Should -BeTrue
        $m.Attributes.ContainsKey('nope') | Should -BeFalse
        $first = $m.Attributes.GetEnumerator() | Select-Object -First 1
        "$($first.Key)=$($first.Value)" | Should -Be "ifname=$($m.Attributes.ifname)"
    }

    It 'stops reading when Select-Object -First has enough' {
        @(Get-NetlinkMessage -Path $Kernel | Select-Object -First 2).Count | Should -Be 2
    }

    It 'reports a missing file with a stable ErrorId' {
        Get-NetlinkMessage -Path "$TestDrive/missing.pcap" -ErrorVariable e -ErrorAction SilentlyContinue
        $e[0].FullyQualifiedErrorId | Should -BeLike 'NetlinkCaptureFileNotFound*'
    }

    It 'reports a -GenericFamily key that is no family id with a stable ErrorId' {
        { Get-NetlinkMessage -Path "$TestDrive/missing.pcap" -GenericFamily @{ abc = 'x' } -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidGenericFamily,NlmonPS.Cmdlets.GetNetlinkMessageCommand'
        # With a -MessageType the map would name, the map's own fault is the error (it was UnknownMessageType).
        { Get-NetlinkMessage -Path "$TestDrive/missing.pcap" -GenericFamily @{ abc = 'mydev' } -MessageType mydev -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidGenericFamily,NlmonPS.Cmdlets.GetNetlinkMessageCommand'
        { Get-NetlinkMessage -Path "$TestDrive/missing.pcap" -GenericFamily @{ 30 = 'mydev' } -MessageType mydev -ErrorAction Stop } |
            Should -Throw -ErrorId 'NetlinkCaptureFileNotFound*'
        # A family without a name (it made messages of an empty TypeName).
        { Get-NetlinkMessage -Path "$TestDrive/missing.pcap" -GenericFamily @{ 48 = $null } -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidGenericFamily,NlmonPS.Cmdlets.GetNetlinkMessageCommand'
    }

    It 'points to -LiteralPath when a file''s own name is read as a wildcard pattern' {
        Copy-Item -LiteralPath "$Root/tests/fixtures/route-link-addr.pcap" -Destination "$TestDrive/br[1].pcap"
        Get-NetlinkMessage -Path "$TestDrive/br[1].pcap" -ErrorVariable e -ErrorAction SilentlyContinue
        $e[0].FullyQualifiedErrorId | Should -BeLike 'NetlinkCaptureFileNotFound*'
        "$($e[0])" | Should -BeLike '*-LiteralPath*'
        @(Get-NetlinkMessage -LiteralPath "$TestDrive/br[1].pcap").Count | Should -BeGreaterThan 0
    }

    It 'reports a capture of another link type' -Skip:(-not (Test-Path "$Shared/nldecap-1pkt_not_netlink_le.pcap")) {
        Get-NetlinkMessage -Path "$Shared/nldecap-1pkt_not_netlink_le.pcap" -ErrorVariable e -ErrorAction SilentlyContinue
        $e[0].FullyQualifiedErrorId | Should -BeLike 'NetlinkCaptureWrongLinkType*'
    }

    It 'learns the IPVS family id from the stream' -Skip:(-not (Test-Path "$Shared/pyroute2-nl0.pcap")) {
        $messages = Get-NetlinkMessage -Path "$Shared/pyroute2-nl0.pcap" -Protocol Generic
        $messages | Where-Object Type -EQ 37 | ForEach-Object Family | Select-Object -Unique | Should -Be 'IPVS'
    }
}

Describe 'Export-NetlinkPcap' {
    It 'round-trips a capture record for record' {
        $out = Join-Path $TestDrive 'copy.pcap'
        Get-NetlinkMessage -Path $Kernel -ErrorAction SilentlyContinue | Export-NetlinkPcap -Path $out
        $a = Get-NetlinkMessage -Path $Kernel -ErrorAction SilentlyContinue
        $b = Get-NetlinkMessage -Path $out -ErrorAction SilentlyContinue
        $b.Count | Should -Be $a.Count
        for ($i = 0; $i -lt $a.Count; $i++) { [Convert]::ToHexString($b[$i].Bytes) | Should -Be ([Convert]::ToHexString($a[$i].Bytes)) }
        (Get-Item $out).UnixFileMode | Should -Be ([IO.UnixFileMode]'UserRead, UserWrite')   # 0600
    }

    It 'refuses to overwrite with -NoClobber' {
        $out = Join-Path $TestDrive 'x.pcap'
        Get-NetlinkMessage -Path $Kernel -Count 1 | Export-NetlinkPcap -Path $out
        { Get-NetlinkMessage -Path $Kernel -Count 1 | Export-NetlinkPcap -Path $out -NoClobber -ErrorAction Stop } |
            Should -Throw -ErrorId 'NetlinkPcapFileExists,NlmonPS.Cmdlets.ExportNetlinkPcapCommand'
    }

    It 'writes nothing with -WhatIf' {
        $out = Join-Path $TestDrive 'whatif.pcap'
        Get-NetlinkMessage -Path $Kernel -Count 1 | Export-NetlinkPcap -Path $out -WhatIf
        Test-Path $out | Should -BeFalse
    }
}
