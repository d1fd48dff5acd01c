#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# The format views as a user sees them in real pwsh, at 80 and at 120 columns, for every type the module emits and
# for its deserialized form (Export-Clixml / Import-Clixml, what remoting brings back). Objects the live kernel would
# make (devices, mirrors, drops) are built here from their properties: the view is what is tested.

BeforeAll {
    Import-Module "$PSScriptRoot/NlmonPS.TestHelpers.psm1"
    Import-NlmonPS
    $script:Root = $RepoRoot
    $now = [DateTimeOffset]::Now
    $script:Objects = @{
        Message    = @(Get-NetlinkMessage -Path "$Root/tests/fixtures/route-link-addr.pcap" -Count 6)
        Error      = @(Get-NetlinkMessage -Path "$Root/tests/fixtures/genl.pcap" | Where-Object { $_.Error -and -not $_.Error.IsAck } | Select-Object -First 2 | ForEach-Object Error)
        Device     = @([NlmonPS.KernelClients.NlmonDevice]@{ Name = 'nlmon0'; Index = 7; State = 'Up'; OperState = 'UNKNOWN'; Mtu = 3776; ReceivedPackets = 123456; ReceivedBytes = 98765432; NetNamespace = 'lab' })
        Mirror     = @([NlmonPS.PortMirroring.PortMirror]@{ Source = 'veth0'; Direction = 'Both'; Destinations = [string[]]('veth1', 'dummy0'); FilterKind = 'matchall'; Packets = 42; Bytes = 4200; CreatedByNlmonPS = $true; Timestamp = $now })
        Drop       = @([NlmonPS.DropMonitoring.PacketDrop]@{ Timestamp = $now; Location = '__udp4_lib_rcv+0x9e3/0xe40'; Symbol = '__udp4_lib_rcv'; Reason = 'NO_SOCKET'; InterfaceName = 'lo'; ProtocolName = 'IPv4'; Length = 40; OriginalLength = 40; PacketSummary = 'UDP 127.0.0.1:40000 > 127.0.0.1:9 len 12' })
        DropCount  = @([NlmonPS.DropMonitoring.DropSummary]@{ Timestamp = $now; Location = 'kfree_skb_list_reason+0x1a/0x40'; Count = 3; Interval = [timespan]::FromSeconds(1); Origin = 'Software' })
        DropConfig = @([NlmonPS.DropMonitoring.DropMonitorConfiguration]@{ AlertMode = 'Packet'; TruncateLength = 128; QueueLength = 1000; Monitoring = $false })
        DropStats  = @([NlmonPS.DropMonitoring.DropMonitorStatistics]@{ SoftwareDropped = 5; Timestamp = $now })
    }
    # What must be readable in the last, widest column (its first characters), per kind.
    $script:LastColumn = @{
        Message = { param($o) $o.Summary }; Error = { param($o) if ($o.ExtendedMessage) { $o.ExtendedMessage } else { 'in reply to ' + $o.Request.TypeName } }; Device = { 'lab' }; Mirror = { 'veth1,dummy0' }
        Drop = { 'UDP 127.0.0.1:40000' }; DropCount = { 'kfree_skb_list_reason' }; DropConfig = { 'False' }; DropStats = { 'n/a' }
    }
    function Show($objects, [int] $Width) { ($objects | Format-Table | Out-String -Width $Width) -split "`r?`n" | Where-Object { $_.Trim() } }
    function Deserialize($objects) {
        $file = [IO.Path]::GetTempFileName()
        try { $objects | Export-Clixml $file -Depth 2; Import-Clixml $file } finally { Remove-Item $file }
    }
}

Describe 'Table views at <Width> columns' -ForEach @(@{ Width = 80 }, @{ Width = 120 }) {
    It '<Kind> (<Form>) fits and its last column is readable' -ForEach @(
        foreach ($kind in 'Message', 'Error', 'Device', 'Mirror', 'Drop', 'DropCount', 'DropConfig', 'DropStats') {
            @{ Kind = $kind; Form = 'live' }, @{ Kind = $kind; Form = 'deserialized' }
        }) {
        # $items, not $objects: PowerShell names are case-insensitive, and $Objects is the table above.
        $items = $Objects[$Kind]
        if ($Form -eq 'deserialized') { $items = Deserialize $items }
        $lines = @(Show $items $Width)
        $lines.Count | Should -BeGreaterThan 2 -Because 'a header, its underline and a row'
        $lines | ForEach-Object { $_.Length | Should -BeLessOrEqual $Width }
        # One line per object: nothing wrapped, nothing fell back to a list.
        $lines.Count | Should -Be (@($items).Count + 2)
        $header = $lines[0]
        $lastStart = $lines[1].LastIndexOf(' ') + 1
        $room = $Width - 1 - $lastStart
        $room | Should -BeGreaterOrEqual ($Width -eq 80 ? 15 : 50) -Because "the last column of '$header' needs room"
        $expected = & $LastColumn[$Kind] $Objects[$Kind][0]
        $shown = [Math]::Min($expected.Length, $room - 1)
        $lines[2].Substring($lastStart).Trim() | Should -BeLike ($expected.Substring(0, $shown) + '*')
    }
}

Describe 'What a user sees in the message table' {
    It 'gives Summary at least 30 characters at 80 columns and 70 at 120' {
        foreach ($width in 80, 120) {
            $lines = @(Show $Objects.Message $width)
            $lines[0] | Should -Match 'Summary$'
            ($width - 1 - $lines[1].LastIndexOf(' ') - 1) | Should -BeGreaterOrEqual ($width - 50)
        }
    }

    It 'fills Time and Dir for <Form> messages' -ForEach @(@{ Form = 'live' }, @{ Form = 'deserialized' }) {
        $items = $Objects.Message
        if ($Form -eq 'deserialized') { $items = Deserialize $items }
        $rows = @(Show $items 80 | Select-Object -Skip 2)
        $rows.Count | Should -Be 6
        foreach ($row in $rows) {
            $row | Should -Match '^\d\d:\d\d:\d\d\.\d{3} '
            $row.Substring(13, 3) | Should -BeIn '->K', 'K->'
        }
        # The same rows either way.
        if ($Form -eq 'deserialized') { $rows | Should -Be @(Show $Objects.Message 80 | Select-Object -Skip 2) }
    }

    It 'shows the list view of a deserialized message with its direction by name' {
        $text = Deserialize $Objects.Message[0] | Format-List | Out-String -Width 80
        $text | Should -Match 'Direction\s+: ToKernel \(inferred\)' -Because 'the direction and DirectionInferred survive Export-Clixml'
        $text | Should -Match 'Summary\s+: dump links'
    }

    It 'has no Seq alias property (Sequence is the one name)' {
        $Objects.Message[0].PSObject.Properties.Name | Should -Not -Contain 'Seq'
        $Objects.Message[0].Sequence | Should -BeGreaterThan 0
    }
}

Describe 'Format-Wide' {
    It 'names each <Kind> (<Form>), never a blank cell' -ForEach @(
        foreach ($kind in 'Transaction', 'Statistics', 'Drop', 'DropCount') { @{ Kind = $kind; Form = 'live' }, @{ Kind = $kind; Form = 'deserialized' } }) {
        $conversation = "$Root/tests/fixtures/native/conversation.pcap"
        $items = switch ($Kind) {
            'Transaction' { Get-NetlinkTransaction -Path $conversation | Select-Object -First 4 }
            'Statistics' { Measure-NetlinkTransaction -Path $conversation | Select-Object -First 4 }
            default { $Objects[$Kind] }
        }
        if ($Form -eq 'deserialized') { $items = Deserialize $items }
        $cells = ($items | Format-Wide -Column 1 | Out-String -Width 80) -split "`r?`n" | Where-Object { $_.Trim() }
        @($cells).Count | Should -Be @($items).Count
        $cells | ForEach-Object { $_.Trim() | Should -Match '^[A-Z_a-z]' }
    }
}
