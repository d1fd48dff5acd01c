#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }

# The conversation on real traffic: conversation.pcap holds ip, tc, ss and ethtool traced natively (its transcript
# is conversation.txt); the other captures were recorded through nlmon on Debian's 6.1 kernel.
BeforeAll {
    $script:Root = Resolve-Path "$PSScriptRoot/../.."
    Import-Module "$Root/out/NlmonPS/NlmonPS.psd1" -Force
    $script:Traced = "$Root/tests/fixtures/native/conversation.pcap"
    $script:Transcript = Get-Content "$Root/tests/fixtures/native/conversation.txt"
    $script:Dropmon = "$Root/tests/fixtures/dropmon.pcap"
}

Describe 'Get-NetlinkTransaction' {
    BeforeAll {
        $script:Messages = Get-NetlinkMessage -Path $Traced
        $script:Transactions = Get-NetlinkTransaction -Path $Traced
    }

    It 'pairs every request with answers of its own sequence number' {
        $requests = @($Messages | Where-Object Direction -EQ ToKernel)
        $Transactions.Count | Should -Be $requests.Count
        foreach ($t in $Transactions) {
            $t.Status | Should -BeIn 'Answered', 'Error'
            foreach ($answer in @($t.Replies) + @($t.Final | Where-Object { $_ })) {
                $answer.Sequence | Should -Be $t.Request.Sequence
                $answer.PortId | Should -Be $t.PortId
            }
            $t.Latency | Should -BeGreaterOrEqual ([timespan]::Zero)
        }
    }

    It 'gives the same transactions from the pipeline as from the file' {
        $piped = $Messages | Get-NetlinkTransaction
        @($piped.Summary) | Should -Be @($Transactions.Summary)
    }

    It 'counts the objects a dump returned as ip printed them' {
        $from = [array]::IndexOf($Transcript, '$ ip route show table all')
        $to = [array]::IndexOf($Transcript, '$ ip link set d0 down')
        $printed = $Transcript[($from + 1)..($to - 1)]
        ($Transactions | Where-Object RequestType -EQ RTM_GETROUTE).ObjectCount | Should -Be $printed.Count
    }

    It 'says how the kernel refused, in iproute2 words' {
        $refused = $Transactions | Where-Object { $_.RequestType -eq 'RTM_NEWROUTE' -and $_.Status -eq 'Error' }
        $refused.Error.ErrorName | Should -Be 'EEXIST'
        $refused.Summary | Should -Match '^add 10\.88\.0\.0/16 via 10\.0\.0\.2 dev d0: EEXIST File exists in \d+\.\d{3} ms$'
    }

    It 'reports requests without answers and warns' {
        $t = $Messages | Where-Object Direction -EQ ToKernel | Get-NetlinkTransaction -Timeout 0.001 -WarningVariable warnings -WarningAction SilentlyContinue
        $t.Status | Sort-Object -Unique | Should -BeIn 'NoAnswer', 'NotAcknowledged'
        $warnings.Count | Should -Be 1
        "$warnings" | Should -Match 'got no answer'
    }

    It 'fits its table in 80 columns' {
        $lines = $Transactions | Out-String -Width 80 -Stream
        $lines | Where-Object { $_.Length -gt 80 } | Should -BeNullOrEmpty
        $lines | Should -Contain ($lines | Where-Object { $_ -match '^Time +Status +Objects +ms Request' })
    }
}

Describe 'Measure-NetlinkTransaction' {
    It 'gives counts, errors by errno and latency percentiles per request type' {
        $stats = Measure-NetlinkTransaction -Path $Traced
        $routes = $stats | Where-Object RequestType -EQ RTM_NEWROUTE
        $routes.Count | Should -Be 2
        $routes.Errors | Should -Be 1
        $routes.ErrorsByErrno['EEXIST'] | Should -Be 1
        foreach ($s in $stats) {
            $s.Minimum | Should -BeLessOrEqual $s.Median
            $s.Median | Should -BeLessOrEqual $s.Percentile99
            $s.Percentile99 | Should -BeLessOrEqual $s.Maximum
        }
        ($stats | Measure-Object Count -Sum).Sum | Should -Be @(Get-NetlinkTransaction -Path $Traced).Count
    }

    It 'reads messages, transactions and files alike' {
        $a = Get-NetlinkMessage -Path $Traced | Measure-NetlinkTransaction | ForEach-Object { "$($_.RequestType) $($_.Count) $($_.Median)" }
        $b = Get-NetlinkTransaction -Path $Traced | Measure-NetlinkTransaction | ForEach-Object { "$($_.RequestType) $($_.Count) $($_.Median)" }
        @($a) | Should -Be @($b)
    }
}

Describe 'Summaries that name what they refer to' {
    It 'names interfaces, link up/down and the request an ACK answers' {
        $summaries = (Get-NetlinkMessage -Path $Traced).Summary
        $summaries | Should -Contain '10.0.0.9 dev d0 lladdr 02:00:00:00:00:09 PERMANENT'
        $summaries | Should -Contain 'change 3: d0: down'
        $summaries | Should -Contain 'ACK to ETHTOOL_MSG_LINKSTATE_GET seq 6'
    }

    It 'reads the 6.1 nlmon capture of ethtool as the issue asks' {
        (Get-NetlinkMessage -Path "$Root/tests/fixtures/genl.pcap").Summary | Should -Contain 'ACK to ETHTOOL_MSG_STRSET_GET seq 1'
    }
}

Describe 'Get-PacketDrop -Path' {
    It 'reads drops back from a saved NET_DM capture with the live filters' {
        $drops = Get-PacketDrop -Path $Dropmon -Reason NO_SOCKET
        $drops.Count | Should -Be 5
        $drops.Location | Sort-Object -Unique | Should -Be '__udp4_lib_rcv+0x9a2/0xc30'
        $drops[0].GetType().Name | Should -Be 'PacketDrop'
        (Get-PacketDrop -Path $Dropmon -Count 1).Count | Should -Be 1
    }

    It 'refuses a file of Export-PacketDropPcap frames with the reason' {
        $file = Join-Path ([IO.Path]::GetTempPath()) "nlmonps-pester-$([guid]::NewGuid()).pcap"
        try {
            Get-PacketDrop -Path $Dropmon -Reason NO_SOCKET | Export-PacketDropPcap -Path $file
            $drops = Get-PacketDrop -Path $file -ErrorVariable problems -ErrorAction SilentlyContinue
            $drops | Should -BeNullOrEmpty
            $problems[0].FullyQualifiedErrorId | Should -BeLike 'PacketDropFileWithoutAlerts*'
        }
        finally { Remove-Item $file -ErrorAction SilentlyContinue }
    }
}

Describe 'Format views' {
    It 'fits the statistics table in 80 columns' {
        $lines = Measure-NetlinkTransaction -Path $Traced | Out-String -Width 80 -Stream
        $lines | Where-Object { $_.Length -gt 80 } | Should -BeNullOrEmpty
        $lines | Where-Object { $_ -match '^Request +Count +Errors +Avg ms +p50 ms +p99 ms +Max ms' } | Should -Not -BeNullOrEmpty
        $lines | Where-Object { $_ -match '^RTM_NEWROUTE +2 +1 +\d+\.\d{3}' } | Should -Not -BeNullOrEmpty
    }

    It 'shows the errno of a refused request in the transaction table' {
        $lines = Get-NetlinkTransaction -Path $Traced | Out-String -Width 80 -Stream
        $lines | Where-Object { $_ -match 'EEXIST +0 +\d+\.\d{3} add 10\.88\.0\.0/16 via 10\.0\.0\.2 dev d0' } | Should -Not -BeNullOrEmpty
    }
}

Describe 'Deserialized transactions and statistics (Export-Clixml, remoting)' {
    It 'keep their views: status names, latencies, the request' {
        $file = [IO.Path]::GetTempFileName()
        try {
            Get-NetlinkTransaction -Path $Traced | Export-Clixml $file -Depth 2
            $lines = Import-Clixml $file | Format-Table | Out-String -Width 80 -Stream
            $lines | Where-Object { $_.Length -gt 80 } | Should -BeNullOrEmpty
            $lines | Where-Object { $_ -match 'EEXIST +0 +\d+\.\d{3} add 10\.88\.0\.0/16 via 10\.0\.0\.2 dev d0' } | Should -Not -BeNullOrEmpty
            $lines | Where-Object { $_ -match ' DONE +14 +\d+\.\d{3} dump routes' } | Should -Not -BeNullOrEmpty
            Measure-NetlinkTransaction -Path $Traced | Export-Clixml $file -Depth 2
            $lines = Import-Clixml $file | Format-Table | Out-String -Width 80 -Stream
            $lines | Where-Object { $_ -match '^RTM_NEWROUTE +2 +1 +\d+\.\d{3}' } | Should -Not -BeNullOrEmpty
        }
        finally { Remove-Item $file }
    }

    It 'are measured as the transactions themselves (they were refused as PSCustomObject)' {
        $file = [IO.Path]::GetTempFileName()
        try {
            foreach ($capture in $Traced, "$Root/tests/fixtures/route-link-addr.pcap") {
                Get-NetlinkTransaction -Path $capture | Export-Clixml $file   # remoting's depth (1)
                $imported = Import-Clixml $file | Measure-NetlinkTransaction -ErrorVariable e
                $e | Should -BeNullOrEmpty
                $expected = Measure-NetlinkTransaction -Path $capture
                ($imported | ConvertTo-Json -Depth 3) | Should -Be ($expected | ConvertTo-Json -Depth 3)
                @($imported | Where-Object Errors -GT 0).Count | Should -BeGreaterThan 0
            }
        }
        finally { Remove-Item $file }
    }
}
