#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Pester 5 tests of Get-PacketDrop, Export-PacketDropPcap and the drop-monitor configuration cmdlets for real
# pwsh 7.4+ on Linux, as root, on a kernel with the drop monitor (CONFIG_NET_DROP_MONITOR, module drop_monitor).
# Run with ./build.ps1 Test, or Invoke-Pester tests/Pester/DropMonitor.Tests.ps1 after dotnet build.
#
# The drops are UDP datagrams with a marker sent to a closed port on 127.0.0.1 (dropped in __udp4_lib_rcv,
# reason NO_SOCKET on kernels 5.18+). A background job sends them while the cmdlet runs. On a kernel without
# the drop monitor only the error test runs: it checks that the cmdlets say why.

BeforeDiscovery {
    Import-Module "$PSScriptRoot/NlmonPS.TestHelpers.psm1"
    $script:Skip = $null -ne (Get-SkipReason -Root)
    # In the rig the drop monitor must be there (a missing one fails the tests); elsewhere the kernel decides.
    $script:HasNetDm = Test-LiveRig
    if (-not $Skip -and -not $HasNetDm) {
        Import-NlmonPS
        try { $null = Get-DropMonitorConfiguration -ErrorAction Stop; $script:HasNetDm = $true } catch { }
    }
}

BeforeAll {
    Import-Module "$PSScriptRoot/NlmonPS.TestHelpers.psm1"
    Import-NlmonPS
    $script:Root = $RepoRoot

    # Sends marker datagrams to 127.0.0.1:9 every 100 ms until the job is stopped.
    function Start-ClosedPortSender {
        param([Parameter(Mandatory)][string] $Tag, [int] $PayloadBytes = 0)
        Start-ThreadJob -ArgumentList $Tag, $PayloadBytes -ScriptBlock {
            param($Tag, $PayloadBytes)
            $udp = [System.Net.Sockets.UdpClient]::new()
            $n = 0
            while ($true) {
                $n++
                $text = "nlmonps-drop-$Tag-$n".PadRight($PayloadBytes, '.')
                $bytes = [Text.Encoding]::ASCII.GetBytes($text)
                $null = $udp.Send($bytes, $bytes.Length, '127.0.0.1', 9)
                Start-Sleep -Milliseconds 100
            }
        }
    }

    function Get-PayloadText([NlmonPS.DropMonitoring.PacketDrop] $Drop) {
        [Text.Encoding]::ASCII.GetString($Drop.Packet, $Drop.NetworkOffset + 28, $Drop.Packet.Length - $Drop.NetworkOffset - 28)
    }
}

Describe 'Drop monitor' -Tag Live -Skip:$Skip {
    Context 'on a kernel without the drop monitor' -Skip:$HasNetDm {
        It 'says why, with a stable ErrorId' {
            $err = $null
            try { Get-PacketDrop -Count 1 -ErrorAction Stop } catch { $err = $_ }
            $err | Should -Not -BeNullOrEmpty
            $err.FullyQualifiedErrorId | Should -Match '^DropMonitor(NotInKernel|NoModuleSupport|ModuleNotFound|ModuleLoadDenied|ModuleLoadFailed|NotInInitialNamespace),'
            $err.Exception.Message | Should -Match 'drop'
        }
    }

    Context 'on a kernel with the drop monitor' -Skip:(-not $HasNetDm) {
        BeforeAll {
            $script:Saved = Get-DropMonitorConfiguration
            $script:Dir = Join-Path ([IO.Path]::GetTempPath()) "nlmonps-dropmon-$PID"
            $null = New-Item -ItemType Directory -Path $Dir -Force
        }
        AfterAll {
            Set-DropMonitorConfiguration -StopMonitoring -Confirm:$false -ErrorAction SilentlyContinue
            $Saved | Set-DropMonitorConfiguration -Confirm:$false -ErrorAction SilentlyContinue
            Remove-Item -Recurse -Force $Dir -ErrorAction SilentlyContinue
        }

        It 'stops monitoring and restores the configuration when pwsh is terminated (SIGTERM) during Get-PacketDrop' {
            $changed = [uint32](($Saved.TruncateLength + 37) % 200 + 1)
            Stop-PwshWithSigterm -Command "Get-PacketDrop -Mode Packet -TruncateLength $changed | Out-Null" -Started {
                $c = Get-DropMonitorConfiguration; $c.Monitoring -and $c.TruncateLength -eq $changed }
            $now = Get-DropMonitorConfiguration
            $now.Monitoring | Should -BeFalse
            $now.TruncateLength | Should -Be $Saved.TruncateLength
            $now.AlertMode | Should -Be $Saved.AlertMode
        }

        It 'reports UDP datagrams to a closed port with every field, and restores the configuration' {
            $job = Start-ClosedPortSender -Tag count
            try { $drops = @(Get-PacketDrop -Count 3 -Protocol UDP) } finally { $job | Stop-Job -PassThru | Remove-Job }
            $drops.Count | Should -Be 3
            foreach ($d in $drops) {
                $d | Should -BeOfType NlmonPS.DropMonitoring.PacketDrop
                Get-PayloadText $d | Should -BeLike 'nlmonps-drop-count-*'
                $d.Symbol | Should -Be '__udp4_lib_rcv'
                $d.Location | Should -Match '^__udp4_lib_rcv\+0x[0-9a-f]+/0x[0-9a-f]+'
                $d.InterfaceName | Should -Be 'lo'
                $d.ProtocolName | Should -Be 'IPv4'
                $d.DestinationPort | Should -Be 9
                $d.Length | Should -Be $d.OriginalLength
                $d.Origin | Should -Be 'Software'
            }
            $now = Get-DropMonitorConfiguration
            $now.AlertMode | Should -Be $Saved.AlertMode
            $now.TruncateLength | Should -Be $Saved.TruncateLength
            $now.QueueLength | Should -Be $Saved.QueueLength
            $now.Monitoring | Should -BeFalse
        }

        It 'honours -TruncateLength' {
            $job = Start-ClosedPortSender -Tag trunc -PayloadBytes 300
            try { $d = Get-PacketDrop -Count 1 -TruncateLength 60 -Protocol UDP } finally { $job | Stop-Job -PassThru | Remove-Job }
            $d.Length | Should -Be 60
            $d.OriginalLength | Should -Be (14 + 20 + 8 + 300)
            $d.IsTruncated | Should -BeTrue
        }

        It 'counts drops in summary mode' {
            $job = Start-ClosedPortSender -Tag summary
            # Ends after three summaries, not after a fixed time: in the rig the first read of /proc/kallsyms (to name
            # the locations -Symbol filters on) and the sender's thread can take longer than a short -Duration.
            try { $s = @(Get-PacketDrop -Mode Summary -Count 3 -Duration 180 -Symbol '__udp4_lib_rcv') } finally { $job | Stop-Job -PassThru | Remove-Job }
            $s.Count | Should -Be 3
            $s | ForEach-Object { $_.Location | Should -Match '^__udp4_lib_rcv\+0x[0-9a-f]+/0x[0-9a-f]+$' }
            ($s | Measure-Object -Property Count -Sum).Sum | Should -BeGreaterOrEqual 3
        }

        It 'round-trips the configuration and refuses changes while monitoring' {
            $set = Set-DropMonitorConfiguration -AlertMode Packet -TruncateLength 77 -QueueLength 123 -PassThru -Confirm:$false
            $set.TruncateLength | Should -Be 77
            $set.QueueLength | Should -Be 123
            # The job monitors until it is stopped (-Duration is only a bound): with a short -Duration, a slow start (the
            # rig's guest) or a slow poll could let it end between "monitoring" being seen and the change being asked.
            $running = Start-ThreadJob -ArgumentList (Get-NlmonPSManifest) -ScriptBlock {
                param($Manifest) Import-Module $Manifest; Get-PacketDrop -Duration 900 | Out-Null
            }
            try {
                $deadline = (Get-Date).AddSeconds(300)
                while (-not (Get-DropMonitorConfiguration).Monitoring -and (Get-Date) -lt $deadline) {
                    if ($running.State -notin 'NotStarted', 'Running') { throw "the monitoring job ended: $($running.State) $($running | Receive-Job 2>&1)" }
                    Start-Sleep -Milliseconds 200
                }
                (Get-DropMonitorConfiguration).Monitoring | Should -BeTrue -Because 'the job monitors until it is stopped'
                $err = $null
                try { Set-DropMonitorConfiguration -QueueLength 5 -Confirm:$false -ErrorAction Stop } catch { $err = $_ }
                $err.FullyQualifiedErrorId | Should -BeLike 'DropMonitorBusy,*'
                $err.Exception.Message | Should -Match 'EBUSY'
            } finally {
                $running | Stop-Job -PassThru | Remove-Job   # waits for Get-PacketDrop to stop monitoring and restore
            }
            $Saved | Set-DropMonitorConfiguration -Confirm:$false
            (Get-DropMonitorConfiguration).QueueLength | Should -Be $Saved.QueueLength
        }

        It 'exports the alerts (netlink) and the packets (frames), and both read back' {
            $netlink = Join-Path $Dir 'drops-netlink.pcap'
            $frames = Join-Path $Dir 'drops.pcap'
            $job = Start-ClosedPortSender -Tag export
            try {
                Get-PacketDrop -Count 2 -Protocol UDP | Export-PacketDropPcap -Path $frames -PassThru | Export-NetlinkPcap -Path $netlink
            } finally { $job | Stop-Job -PassThru | Remove-Job }
            $back = @(Get-NetlinkMessage -Path $netlink)
            $back.Count | Should -Be 3
            $back[0].Command | Should -Be 'CTRL_CMD_NEWFAMILY'
            $back[1].Family | Should -Be 'NET_DM'
            (& tshark -r $frames -T fields -e udp.dstport 2>$null) | Should -Be @('9', '9')
            (& tshark -r $netlink -V 2>$null) -join "`n" | Should -Match 'Drop location \(symbol\): __udp4_lib_rcv'
        }

        It 'reads the statistics' {
            $s = Get-DropMonitorStatistics
            $s.SoftwareDropped | Should -BeGreaterOrEqual 0
        }
    }
}

Describe 'Set-DropMonitorConfiguration parameters' {
    It 'refuses a length past the kernel''s u32 naming the maximum, with PowerShell''s range error' {
        $e = { Set-DropMonitorConfiguration -QueueLength 5000000000 -WhatIf } | Should -Throw -ErrorId 'ParameterArgumentValidationError*' -PassThru
        $e.Exception.Message | Should -Match '4294967295'
        $e = { Set-DropMonitorConfiguration -TruncateLength -1 -WhatIf } | Should -Throw -ErrorId 'ParameterArgumentValidationError*' -PassThru
        $e.Exception.Message | Should -Not -Match 'type'
    }
}
