#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# The fleet path, for real: this file starts Debian's OpenSSH server itself (two instances, on 127.0.0.1 and
# 127.0.0.2, one port, a generated host key and client key, pwsh as the `powershell` subsystem, everything in a
# private sshd_config under a temporary directory: the system's ssh configuration is not touched) and drives pwsh
# remoting over it (Invoke-Command -HostName). The remote side imports the module from this checkout's out/NlmonPS.
# Needs: root (sshd), openssh-server, openssh-client, iproute2; tshark for the pcapng check.
# Every session and server it started is gone at the end (AfterAll, checked by the last test).

# openssh-server, openssh-client, iproute2 and tshark are in tests/apt-packages.txt: without them the tests fail.
BeforeDiscovery {
    Import-Module "$PSScriptRoot/NlmonPS.TestHelpers.psm1"
    $script:Skip = $null -ne (Get-SkipReason -Root)   # starting sshd needs root
    # Live capture needs nlmon (the kernel/ rig has it; this development host's kernel does not): probe by making one.
    $script:NoNlmon = -not (Test-LiveRig)
    if (-not $Skip -and $NoNlmon) {
        & ip link add name "nlmonprobe$PID" type nlmon 2>$null
        if ($LASTEXITCODE -eq 0) { $script:NoNlmon = $false; & ip link del "nlmonprobe$PID" }
    }

    # Export of deserialized messages into one pcapng with an interface per source is the `capture` branch's work
    # (issue 13). Until it is there, the assertions that need it are skipped with that reason, not failed.
    $script:NoFleetExport = $true
    if (-not $Skip) {
        $module = Get-NlmonPSManifest
        $probe = & (Get-Pwsh) -NoProfile -NonInteractive -Command "
            Import-Module '$module'
            `$f = [IO.Path]::GetTempFileName()
            `$m = Get-NetlinkMessage -Path '$PSScriptRoot/../fixtures/route-link-addr.pcap' -Count 1
            `$m | Export-Clixml `$f
            try { Import-Clixml `$f | Export-NetlinkPcap -LiteralPath (`$f + '.pcapng') -Force -ErrorAction Stop; 'ok' } catch { 'no' }
            finally { Remove-Item `$f, (`$f + '.pcapng') -ErrorAction SilentlyContinue }"
        $script:NoFleetExport = ($probe | Select-Object -Last 1) -ne 'ok'
    }
}

BeforeAll {
    Import-Module "$PSScriptRoot/NlmonPS.TestHelpers.psm1"
    Import-NlmonPS
    $script:Root = $RepoRoot
    $script:Module = Get-NlmonPSManifest
    $script:Hosts = '127.0.0.1', '127.0.0.2'
    $script:Servers = @()
    $script:Sessions = @()
    if ($Skip) { return }

    $script:Dir = (New-Item -ItemType Directory -Path ([IO.Path]::Combine([IO.Path]::GetTempPath(), "nlmonps-ssh-$PID"))).FullName
    & ssh-keygen -q -t ed25519 -N '' -C nlmonps-test-host -f "$Dir/host_key" | Out-Null
    & ssh-keygen -q -t ed25519 -N '' -C nlmonps-test-client -f "$Dir/client_key" | Out-Null
    Copy-Item "$Dir/client_key.pub" "$Dir/authorized_keys"
    & chmod 600 "$Dir/authorized_keys" "$Dir/client_key" "$Dir/host_key"
    # sshd's privilege separation directory (the Debian service makes it at boot; on a machine without systemd it may be missing).
    if (-not (Test-Path /run/sshd)) { New-Item -ItemType Directory /run/sshd | Out-Null }

    # A free port: bind port 0 on the first address, take what the kernel gave, and free it again.
    $listener = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0)
    $listener.Start(); $script:Port = $listener.LocalEndpoint.Port; $listener.Stop()

    $pwsh = Join-Path $PSHOME 'pwsh'
    foreach ($address in $Hosts) {
        $config = "$Dir/sshd_config.$address"
        @(
            "ListenAddress ${address}:$Port"
            "HostKey $Dir/host_key"
            "PidFile $Dir/sshd.$address.pid"
            "AuthorizedKeysFile $Dir/authorized_keys"
            'StrictModes no'                       # the key lives under /tmp, which is world-writable
            'PubkeyAuthentication yes'
            'PasswordAuthentication no'
            'KbdInteractiveAuthentication no'
            'PermitRootLogin prohibit-password'
            'UsePAM no'
            'LogLevel ERROR'
            "Subsystem powershell $pwsh -sshs -NoLogo -NoProfile"
        ) | Set-Content $config
        & /usr/sbin/sshd -t -f $config
        if ($LASTEXITCODE -ne 0) { throw "sshd rejected $config" }
        # -D: stays in the foreground, so this is the server's own pid; -e: its log to stderr, kept in a file.
        $script:Servers += Start-Process /usr/sbin/sshd -ArgumentList '-D', '-e', '-f', $config -PassThru `
            -RedirectStandardError "$Dir/sshd.$address.log" -RedirectStandardOutput "$Dir/sshd.$address.out"
    }
    foreach ($address in $Hosts) {
        $deadline = [DateTime]::UtcNow.AddSeconds(20)
        while (-not (& ss -Hltn "src $address" "sport = :$Port")) {
            if ([DateTime]::UtcNow -gt $deadline) { throw "sshd on ${address}:$Port did not start: $(Get-Content -Raw "$Dir/sshd.$address.log")" }
            Start-Sleep -Milliseconds 100
        }
    }

    $script:Remote = @{
        HostName    = $Hosts
        Port        = $Port
        UserName    = [Environment]::UserName
        KeyFilePath = "$Dir/client_key"
        Options     = @{ StrictHostKeyChecking = 'no'; UserKnownHostsFile = "$Dir/known_hosts"; BatchMode = 'yes'; IdentitiesOnly = 'yes'; LogLevel = 'ERROR' }
    }
    $script:Sessions = New-PSSession @Remote -ErrorAction Stop
    Invoke-Command -Session $Sessions { Import-Module $using:Module } -ErrorAction Stop

    # Key properties of a message, the same whether it came from this process or back over remoting. -Seconds: the
    # time to the second, for a remoting that sends the timestamp as its text (before the capture branch keeps it whole).
    function Get-Key($m, [switch] $Seconds) {
        $t = $m.Timestamp
        $utc = if ($t -is [DateTimeOffset]) { $t.UtcDateTime } elseif ($t -is [datetime]) { $t.ToUniversalTime() }
            elseif ($t -is [string]) { [DateTimeOffset]::Parse($t).UtcDateTime } else { [datetime]$t.UtcDateTime }
        $time = if ($Seconds) { $utc.ToString('yyyy-MM-ddTHH:mm:ss') } else { $utc.ToString('o') }
        '{0}|{1}|{2}|{3}|{4}|{5}|{6}' -f $time, $m.Direction.ToString(), $m.Protocol.ToString(), $m.TypeName, $m.Sequence, $m.PortId, $m.Summary
    }
}

AfterAll {
    if ($Sessions) { $Sessions | Remove-PSSession -ErrorAction SilentlyContinue }
    foreach ($server in $Servers) {
        if (-not $server.HasExited) { Stop-Process -Id $server.Id -ErrorAction SilentlyContinue; $server.WaitForExit(10000) | Out-Null }
    }
    if ($Dir) { Remove-Item -Recurse -Force $Dir -ErrorAction SilentlyContinue }
}

Describe 'NlmonPS over SSH remoting (Invoke-Command -HostName 127.0.0.1,127.0.0.2)' -Skip:$Skip {
    It 'opens a session to each host, and each has the module from this checkout' {
        $Sessions.Count | Should -Be 2
        $Sessions.State | Should -Be 'Opened', 'Opened'
        $where = Invoke-Command -Session $Sessions { (Get-Module NlmonPS).ModuleBase }
        $where | Should -Be "$Root/out/NlmonPS", "$Root/out/NlmonPS"
    }

    It 'traces ip -d link show on both hosts without breaking the sessions; its output comes back in the Information stream' {
        $info = $null
        $remote = Invoke-Command -Session $Sessions { Trace-NetlinkCommand { ip -d link show } } -InformationVariable info -ErrorAction Stop
        $Sessions.State | Should -Be 'Opened', 'Opened'
        ($remote.PSComputerName | Sort-Object -Unique) | Should -Be $Hosts
        foreach ($h in $Hosts) {
            $mine = $remote | Where-Object PSComputerName -EQ $h
            $mine.TypeName | Should -Contain 'RTM_GETLINK'
            $mine.TypeName | Should -Contain 'RTM_NEWLINK'
        }
        # The lines ip printed, tagged, per host; never on the channel.
        $lines = $info | Where-Object { $_.Tags -contains 'stdout' }
        ($lines.MessageData -join "`n") | Should -Match '(?m)^1: lo: <LOOPBACK'
        ($lines.Source | Sort-Object -Unique) | Should -Be 'ip -d link show'
        # The same conversation as here: both hosts are this machine, so the same links, in the same order.
        $local = Trace-NetlinkCommand { ip -d link show } -CommandOutput None
        foreach ($h in $Hosts) {
            $mine = @($remote | Where-Object PSComputerName -EQ $h)
            ($mine | ForEach-Object { "$($_.Direction.ToString()) $($_.TypeName)" }) | Should -Be ($local | ForEach-Object { "$($_.Direction) $($_.TypeName)" })
            ($mine | Where-Object TypeName -EQ RTM_NEWLINK).Summary | Should -Be ($local | Where-Object TypeName -EQ RTM_NEWLINK).Summary
        }
    }

    It 'refuses -CommandOutput Host in a remote session, and the session survives' {
        { Invoke-Command -Session $Sessions[0] { Trace-NetlinkCommand { ip link show lo } -CommandOutput Host } -ErrorAction Stop } |
            Should -Throw -ErrorId 'TraceCommandOutputHostInRemoteSession*'
        $Sessions[0].State | Should -Be 'Opened'
        Invoke-Command -Session $Sessions[0] { 1 + 1 } | Should -Be 2
    }

    It 'reads a capture file on each host with the same results as here' {
        $file = "$Root/tests/fixtures/route-link-addr.pcap"
        $local = Get-NetlinkMessage -Path $file
        $remote = Invoke-Command -Session $Sessions { Get-NetlinkMessage -Path $using:file }
        foreach ($h in $Hosts) {
            $mine = @($remote | Where-Object PSComputerName -EQ $h)
            $mine.Count | Should -Be $local.Count
            $seconds = $mine[0].Timestamp -is [string]
            ($mine | ForEach-Object { Get-Key $_ -Seconds:$seconds }) | Should -Be ($local | ForEach-Object { Get-Key $_ -Seconds:$seconds })
            # The bytes survive (byte[] is a type remoting keeps): what an export needs.
            [Convert]::ToBase64String($mine[1].Bytes) | Should -Be ([Convert]::ToBase64String($local[1].Bytes))
        }
    }

    It 'rebuilds remoted messages with a cast, and measures them as the local ones' {
        $file = "$Root/tests/fixtures/route-link-addr.pcap"
        $local = Get-NetlinkMessage -Path $file
        $remote = Invoke-Command -Session $Sessions[0] { Get-NetlinkMessage -Path $using:file }
        # pwsh's SSH transport deserializes with the built-in types only: property bags arrive.
        $remote[0].pstypenames[0] | Should -Be 'Deserialized.NlmonPS.Decoding.NetlinkMessage'
        $rebuilt = [NlmonPS.Decoding.NetlinkMessage[]]$remote
        $rebuilt[0] | Should -BeOfType ([NlmonPS.Decoding.NetlinkMessage])
        @($rebuilt | Where-Object Direction -EQ FromKernel).Count | Should -Be @($local | Where-Object Direction -EQ FromKernel).Count
        ($rebuilt | Sort-Object Timestamp -Descending)[0].Summary | Should -Be ($local | Sort-Object Timestamp -Descending)[0].Summary
        $e = $null
        $measured = $remote | Measure-NetlinkTransaction -ErrorVariable e | ForEach-Object { "$($_.RequestType) $($_.Count) $($_.Median)" }
        $e | Should -BeNullOrEmpty
        $measured | Should -Be ($local | Measure-NetlinkTransaction | ForEach-Object { "$($_.RequestType) $($_.Count) $($_.Median)" })
    }

    It 'exports remoted drops (property bags) as the same frames a local export writes' {
        $file = "$Root/tests/fixtures/dropmon.pcap"
        $localPcap = Join-Path $Dir 'drops-local.pcap'; $remotePcap = Join-Path $Dir 'drops-remote.pcap'
        Get-PacketDrop -Path $file | Where-Object { $_ -is [NlmonPS.DropMonitoring.PacketDrop] } | Export-PacketDropPcap -Path $localPcap
        $remote = Invoke-Command -Session $Sessions[0] { Get-PacketDrop -Path $using:file | Where-Object { $_ -is [NlmonPS.DropMonitoring.PacketDrop] } }
        $remote[0].pstypenames[0] | Should -Be 'Deserialized.NlmonPS.DropMonitoring.PacketDrop'
        $e = $null
        $remote | Export-PacketDropPcap -Path $remotePcap -ErrorVariable e
        $e | Should -BeNullOrEmpty
        [Convert]::ToHexString([IO.File]::ReadAllBytes($remotePcap)) | Should -Be ([Convert]::ToHexString([IO.File]::ReadAllBytes($localPcap)))
        ([NlmonPS.DropMonitoring.PacketDrop[]]$remote)[0].Location | Should -Not -BeNullOrEmpty
    }

    It 'keeps a remoted transaction''s exact time' {
        $file = "$Root/tests/fixtures/route-link-addr.pcap"
        $local = @(Get-NetlinkTransaction -Path $file)
        $remote = @(Invoke-Command -Session $Sessions[0] { Get-NetlinkTransaction -Path $using:file })
        $remote.Count | Should -Be $local.Count
        $remote[0].Timestamp.UtcTicks | Should -Be $local[0].Timestamp.UtcTicks
        $text = $remote | Select-Object -First 3 | Format-Table | Out-String -Width 120
        $text | Should -Match ([regex]::Escape($local[1].Timestamp.ToLocalTime().ToString('HH:mm:ss.fff')))
    }

    It 'shows remoted messages in the table view with Time and Dir filled' {
        $remote = Invoke-Command -Session $Sessions[0] { Get-NetlinkMessage -Path "$using:Root/tests/fixtures/route-link-addr.pcap" -Count 3 }
        $text = $remote | Format-Table | Out-String -Width 80
        $rows = @($text -split "`n" | Where-Object { $_ -match '^\d\d:\d\d:\d\d\.\d{3} ' })
        $rows.Count | Should -Be 3
        $rows | ForEach-Object { $_.Substring(13, 3) | Should -BeIn '->K', 'K->' }
    }

    It 'merges both hosts into one pcapng that tshark reads with an interface per host' -Skip:$NoFleetExport {
        # Needs the capture branch: Export-NetlinkPcap taking deserialized messages, one pcapng interface per source.
        $fleet = Join-Path $Dir 'fleet.pcapng'
        Invoke-Command -Session $Sessions { Trace-NetlinkCommand { ip -d link show } } | Export-NetlinkPcap -LiteralPath $fleet
        Test-Path $fleet | Should -BeTrue
        $interfaces = & tshark -r $fleet -T fields -e frame.interface_id -e frame.interface_name 2>$null | Sort-Object -Unique
        $LASTEXITCODE | Should -Be 0
        @($interfaces | ForEach-Object { ($_ -split "`t")[0] } | Sort-Object -Unique).Count | Should -Be 2
        foreach ($h in $Hosts) { ($interfaces -join "`n") | Should -Match ([regex]::Escape($h)) }
    }

    It 'reads the merged pcapng back with each message''s host' -Skip:$NoFleetExport {
        # Needs the capture branch: pcapng read back with each interface's host as the message's ComputerName.
        $fleet = Join-Path $Dir 'fleet-back.pcapng'
        $remote = Invoke-Command -Session $Sessions { Trace-NetlinkCommand { ip -d link show } -CommandOutput None }
        $remote | Export-NetlinkPcap -LiteralPath $fleet
        $back = Get-NetlinkMessage -Path $fleet
        $back.Count | Should -Be $remote.Count
        foreach ($h in $Hosts) {
            $fromHost = @($back | Where-Object ComputerName -EQ $h)
            $fromHost.Count | Should -Be @($remote | Where-Object PSComputerName -EQ $h).Count
            $fromHost.TypeName | Should -Contain 'RTM_NEWLINK'
        }
    }

    It 'captures live with nlmon on both hosts' -Tag Live -Skip:$NoNlmon {
        $remote = Invoke-Command -Session $Sessions {
            # Traffic to see; the child's output goes to files (Start-Process wants two), never onto this session's channel.
            $out = [IO.Path]::GetTempFileName(); $err = [IO.Path]::GetTempFileName()
            # (Start-Process joins its arguments with spaces: the script is quoted inside one string.) It runs until the
            # capture ends: a fixed number of rounds could be over before the first capture of a session has started
            # in the rig's guest. -Count 1 ends the capture; -Duration only bounds a failing run.
            $traffic = Start-Process sh -ArgumentList '-c "while :; do ip link show lo; sleep 0.5; done"' -PassThru `
                -RedirectStandardOutput $out -RedirectStandardError $err
            try { Get-NetlinkMessage -Protocol Route -MessageType RTM_GETLINK -Count 1 -Duration 120 }
            finally {
                $traffic | Stop-Process
                $traffic | Wait-Process
                Remove-Item $out, $err
            }
        }
        $Sessions.State | Should -Be 'Opened', 'Opened'
        ($remote.PSComputerName | Sort-Object -Unique) | Should -Be $Hosts
        $remote | ForEach-Object { $_.Direction.ToString() | Should -Be 'ToKernel' }
        Invoke-Command -Session $Sessions { @(Get-NlmonDevice | Where-Object Name -Like 'nlmonps*').Count } | Should -Be 0, 0 -Because 'the temporary devices are gone'
    }

    It 'leaves no session or server behind' {
        $Sessions | Remove-PSSession
        $Sessions.State | Should -Not -Contain 'Opened'
        foreach ($server in $Servers) {
            Stop-Process -Id $server.Id
            $server.WaitForExit(10000) | Should -BeTrue
        }
        foreach ($address in $Hosts) { & ss -Hltn "src $address" "sport = :$Port" | Should -BeNullOrEmpty }
    }
}
