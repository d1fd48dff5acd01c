#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }

# Export-NetlinkPcap as a user meets it in real pwsh: CLIXML round trips, pcapng from several hosts, file safety,
# and what Get-NetlinkMessage warns about. Every input is a committed fixture or made here.

BeforeAll {
    $script:Root = Resolve-Path "$PSScriptRoot/../.."
    Import-Module "$Root/out/NlmonPS/NlmonPS.psd1" -Force
    $script:Fixtures = "$Root/tests/fixtures"
    $script:Dir = (New-Item -ItemType Directory -Path (Join-Path ([IO.Path]::GetTempPath()) "nlmonps-pester-$PID-$(Get-Random)")).FullName
}

AfterAll {
    Remove-Item -LiteralPath $Dir -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Export-NetlinkPcap' {
    It 'writes what Import-Clixml gives back as the same records a local export writes' {
        $source = "$Fixtures/route-route-neigh-rule.pcap"
        Get-NetlinkMessage -Path $source -ErrorAction SilentlyContinue | Export-Clixml -Path "$Dir/m.xml"
        $back = Import-Clixml -Path "$Dir/m.xml"
        $back[0] | Should -BeOfType NlmonPS.Decoding.NetlinkMessage
        $back[0].Timestamp | Should -BeOfType DateTimeOffset
        $back | Export-NetlinkPcap -Path "$Dir/again.pcap"
        (Get-FileHash "$Dir/again.pcap").Hash | Should -Be (Get-FileHash $source).Hash
    }

    It 'keeps the 128 bytes iproute2 sent after its 28-byte route dump request' {
        $request = Get-NetlinkMessage -Path "$Fixtures/route-route-neigh-rule.pcap" | Where-Object RecordNumber -EQ 58
        $request.TypeName | Should -Be 'RTM_GETROUTE'
        $request | Export-NetlinkPcap -Path "$Dir/one.pcap"
        (Get-Item "$Dir/one.pcap").Length | Should -Be (24 + 16 + 172)
    }

    It 'merges messages from two hosts into one pcapng with an interface per host' {
        $h1 = Get-NetlinkMessage -Path "$Fixtures/native/route-addr.pcap" | Add-Member -NotePropertyName PSComputerName -NotePropertyValue h1 -PassThru
        $h2 = Get-NetlinkMessage -Path "$Fixtures/native/route-link.pcap" | Add-Member -NotePropertyName PSComputerName -NotePropertyValue h2 -PassThru
        @($h1) + @($h2) | Export-NetlinkPcap -Path "$Dir/fleet.pcapng"
        $read = Get-NetlinkMessage -Path "$Dir/fleet.pcapng"
        $read.Count | Should -Be ($h1.Count + $h2.Count)
        ($read | Group-Object ComputerName | Sort-Object Name).Name | Should -Be @('h1', 'h2')
        $times = $read.Timestamp
        @($times) | Should -Be @($times | Sort-Object)
    }

    It 'refuses a read-only file without -Force, and -Force -WhatIf changes nothing' {
        $target = "$Dir/ro.pcap"
        Set-Content -Path $target -Value 'keep'
        chmod 0444 $target
        $messages = Get-NetlinkMessage -Path "$Fixtures/native/route-addr.pcap"
        { $messages | Export-NetlinkPcap -Path $target -ErrorAction Stop } | Should -Throw -ErrorId 'NetlinkPcapFileReadOnly,NlmonPS.Cmdlets.ExportNetlinkPcapCommand'
        $messages | Export-NetlinkPcap -Path $target -Force -WhatIf
        (stat -c %a $target) | Should -Be '444'
        Get-Content -Path $target | Should -Be 'keep'
    }

    It 'names a missing directory, not the temporary file it would have written' {
        $err = { Get-NetlinkMessage -Path "$Fixtures/native/route-addr.pcap" | Export-NetlinkPcap -Path "$Dir/no-such-dir/x.pcap" -ErrorAction Stop } |
            Should -Throw -ErrorId 'NetlinkPcapDirectoryNotFound,NlmonPS.Cmdlets.ExportNetlinkPcapCommand' -PassThru
        $err.CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $err.TargetObject | Should -Be "$Dir/no-such-dir"
        Test-Path "$Dir/no-such-dir" | Should -BeFalse
    }

    It 'writes the packets of a saved drop capture, and an error for each summary alert, which carries none' {
        $drops = @(Get-PacketDrop -Path "$Fixtures/dropmon.pcap")
        $packets = @($drops | Where-Object { $_ -is [NlmonPS.DropMonitoring.PacketDrop] -and $_.Packet.Length -gt 0 })
        $summaries = @($drops | Where-Object { $_ -is [NlmonPS.DropMonitoring.DropSummary] })
        $packets.Count | Should -BeGreaterThan 0
        $summaries.Count | Should -BeGreaterThan 0
        $ev = $null
        $drops | Export-PacketDropPcap -Path "$Dir/drops.pcap" -ErrorAction SilentlyContinue -ErrorVariable ev
        @($ev).Count | Should -Be $summaries.Count
        $ev[0].FullyQualifiedErrorId | Should -Be 'PacketDropPcapInputNotADrop,NlmonPS.Cmdlets.ExportPacketDropPcapCommand'
        "$($ev[0])" | Should -Match 'Get-PacketDrop -Mode Packet'
        (& tshark -r "$Dir/drops.pcap" 2>$null | Measure-Object).Count | Should -Be $packets.Count
    }

    It 'writes the NET_DM alerts of drops, summaries too (each alert once), so Get-PacketDrop reads them back' {
        foreach ($capture in "$Fixtures/dropmon.pcap", "$Fixtures/6.12/dropmon.pcap") {
            $drops = @(Get-PacketDrop -Path $capture)
            $ev = $null
            $drops | Export-NetlinkPcap -Path "$Dir/alerts.pcap" -Force -ErrorVariable ev
            $ev | Should -BeNullOrEmpty
            $back = @(Get-PacketDrop -Path "$Dir/alerts.pcap")
            ($back | ForEach-Object { "$($_.GetType().Name) $($_.Location) $($_.Timestamp.UtcTicks)" }) |
                Should -Be ($drops | ForEach-Object { "$($_.GetType().Name) $($_.Location) $($_.Timestamp.UtcTicks)" })
            # One record per alert: a summary alert of several locations is one message.
            $alerts = @($drops | ForEach-Object { [Convert]::ToBase64String($_.Bytes) } | Select-Object -Unique)
            @(Get-NetlinkMessage -Path "$Dir/alerts.pcap" -MessageType NET_DM_CMD_ALERT, NET_DM_CMD_PACKET_ALERT).Count | Should -Be $alerts.Count
        }
        # Interleaved (as Sort-Object leaves them), an alert is still written once.
        $s = @(Get-PacketDrop -Path "$Fixtures/6.12/dropmon.pcap" | Where-Object { $_ -is [NlmonPS.DropMonitoring.DropSummary] })
        $s[0], $s[1], $s[0] | Export-NetlinkPcap -Path "$Dir/interleaved.pcap" -Force
        @(Get-PacketDrop -Path "$Dir/interleaved.pcap").Count | Should -Be 2
    }

    It 'never writes through a symbolic link' {
        Set-Content -Path "$Dir/victim" -Value 'precious'
        New-Item -ItemType SymbolicLink -Path "$Dir/planted.pcap" -Target "$Dir/victim" | Out-Null
        { Get-NetlinkMessage -Path "$Fixtures/native/route-addr.pcap" | Export-NetlinkPcap -Path "$Dir/planted.pcap" -Force -ErrorAction Stop } |
            Should -Throw -ErrorId 'NetlinkPcapTargetIsLink,NlmonPS.Cmdlets.ExportNetlinkPcapCommand'
        Get-Content -Path "$Dir/victim" | Should -Be 'precious'
    }
}

# Get-NetlinkMessage | Export-NetlinkPcap: the messages are handed to the export directly, not bound one by one
# through the pipeline. The file must be the one the pipeline writes (ForEach-Object between them keeps it there).
Describe 'Get-NetlinkMessage | Export-NetlinkPcap (messages handed straight over)' {
    It 'writes the same <Format> file as through the pipeline, and says so with -Verbose' -ForEach @(
        @{ Format = 'Pcap'; Extension = 'pcap' }
        @{ Format = 'Pcapng'; Extension = 'pcapng' }
    ) {
        $captures = @(Get-ChildItem "$Fixtures/*.pcap", "$Fixtures/native/*.pcap" | ForEach-Object FullName)
        $verbose = @(& { Get-NetlinkMessage -Path $captures -ErrorAction SilentlyContinue -Verbose |
            Export-NetlinkPcap -Path "$Dir/direct.$Extension" -Force } 4>&1 | ForEach-Object Message)
        $verbose | Should -Contain 'Messages are handed straight to Export-NetlinkPcap, not bound one by one through the pipeline.'
        Get-NetlinkMessage -Path $captures -ErrorAction SilentlyContinue | ForEach-Object { $_ } |
            Export-NetlinkPcap -Path "$Dir/piped.$Extension" -Force
        (Get-FileHash "$Dir/direct.$Extension").Hash | Should -Be (Get-FileHash "$Dir/piped.$Extension").Hash
        (Get-Item "$Dir/direct.$Extension").Length | Should -BeGreaterThan 100000
    }

    It 'keeps -MessageType, -Filter and -Count, and passes messages through the pipeline with -PassThru' {
        $source = "$Fixtures/route-link-addr.pcap"
        Get-NetlinkMessage -Path $source -MessageType RTM_NEWLINK -Filter { $_.Attributes.ifname -ne 'lo' } -Count 5 |
            Export-NetlinkPcap -Path "$Dir/some.pcap" -Force
        $expected = @(Get-NetlinkMessage -Path $source -MessageType RTM_NEWLINK | Where-Object { $_.Attributes.ifname -ne 'lo' } |
            Select-Object -First 5)
        $back = @(Get-NetlinkMessage -Path "$Dir/some.pcap")
        $back.Count | Should -Be 5
        $back.Bytes | Should -Be $expected.Bytes
        $verbose = @(& { $passed = @(Get-NetlinkMessage -Path $source -Verbose | Export-NetlinkPcap -Path "$Dir/all.pcap" -Force -PassThru)
            $passed.Count | Should -Be (Get-NetlinkMessage -Path $source).Count } 4>&1 | ForEach-Object Message)
        $verbose | Should -Contain 'Messages go to Export-NetlinkPcap through the pipeline: Export-NetlinkPcap passes them on (-PassThru).'
    }
}

Describe 'Get-NetlinkMessage -Path warnings' {
    It 'warns by default when the snaplen left no netlink bytes' {
        # A pcap of snaplen 16: one record that kept only the nlmon header of a 32-byte message.
        $bytes = [byte[]]::new(24 + 16 + 16)
        ([byte[]](0xd4, 0xc3, 0xb2, 0xa1)).CopyTo($bytes, 0)
        [BitConverter]::GetBytes([uint16]2).CopyTo($bytes, 4)
        [BitConverter]::GetBytes([uint16]4).CopyTo($bytes, 6)
        [BitConverter]::GetBytes([uint32]16).CopyTo($bytes, 16)
        [BitConverter]::GetBytes([uint32]253).CopyTo($bytes, 20)
        [BitConverter]::GetBytes([uint32]16).CopyTo($bytes, 32)
        [BitConverter]::GetBytes([uint32]48).CopyTo($bytes, 36)
        $bytes[41] = 4; $bytes[42] = 3; $bytes[43] = 0x38
        [IO.File]::WriteAllBytes("$Dir/snap.pcap", $bytes)
        $messages = Get-NetlinkMessage -Path "$Dir/snap.pcap" -WarningVariable warnings -WarningAction SilentlyContinue
        $messages | Should -BeNullOrEmpty
        $warnings | Should -HaveCount 1
        "$warnings" | Should -Match 'cut 1 of its 1 netlink records short \(snaplen 16\)'
    }
}

Describe 'Get-NetlinkMessage -Path with several files' {
    It 'reads a capture rotated into files named out of time order as the capture it was' {
        # Cut a real capture into three files by record, as tcpdump -C would, and name them so the wildcard sorts
        # them last-first: they read back as the whole file, in its order, its transactions paired across the cuts.
        $source = "$Fixtures/native/conversation.pcap"
        $all = @(Get-NetlinkMessage -Path $source)
        $records = @($all.RecordNumber | Sort-Object -Unique)
        $cuts = @($records[[int]($records.Count / 3)], $records[[int](2 * $records.Count / 3)])
        $all | Where-Object RecordNumber -LT $cuts[0] | Export-NetlinkPcap -Path "$Dir/rot-c"
        $all | Where-Object { $_.RecordNumber -ge $cuts[0] -and $_.RecordNumber -lt $cuts[1] } | Export-NetlinkPcap -Path "$Dir/rot-b"
        $all | Where-Object RecordNumber -GE $cuts[1] | Export-NetlinkPcap -Path "$Dir/rot-a"
        $read = @(Get-NetlinkMessage -Path "$Dir/rot-*")
        $read.Count | Should -Be $all.Count
        ($read | ForEach-Object { "$($_.Timestamp.ToString('O')) $($_.Summary)" }) | Should -Be ($all | ForEach-Object { "$($_.Timestamp.ToString('O')) $($_.Summary)" })
        (Get-NetlinkTransaction -Path "$Dir/rot-*").Summary | Should -Be (Get-NetlinkTransaction -Path $source).Summary
    }
}
