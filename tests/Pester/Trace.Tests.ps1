#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Pester 5 tests of Trace-NetlinkCommand for real pwsh 7.4+ on Linux. Run with ./build.ps1 Test, or
# Invoke-Pester tests/Pester/Trace.Tests.ps1 after dotnet build. Commands that change anything run in a private
# network namespace (unshare -n, which needs root); ptrace itself needs no privilege for commands it starts.

# Tools (ip, unshare, tshark) are never a reason to skip: without them the tests fail.

BeforeDiscovery {
    Import-Module "$PSScriptRoot/NlmonPS.TestHelpers.psm1"
    $script:Skip = $null -ne (Get-SkipReason)
    $script:NotRoot = $null -ne (Get-SkipReason -Root)
}

BeforeAll {
    Import-Module "$PSScriptRoot/NlmonPS.TestHelpers.psm1"
    Import-NlmonPS

    # A loop to attach to. Started from a shell that exits at once, so it is not a child of this pwsh (.NET waits
    # for its own children and would take ptrace's stop reports: Trace-NetlinkCommand refuses those).
    function Start-Loop {
        [int](& sh -c "( while :; do ip link >/dev/null; sleep 0.2; done ) </dev/null >/dev/null 2>&1 & echo `$!")
    }
    function Get-TracerPid([int] $ProcessId) {
        [int]((Get-Content "/proc/$ProcessId/status" | Where-Object { $_ -like 'TracerPid:*' }) -replace '\D', '')
    }
}

Describe 'Trace-NetlinkCommand' -Tag Live -Skip:$Skip {
    It 'decodes the requests and replies of ip link show, with directions and the process' -Skip:$NotRoot {
        $m = Trace-NetlinkCommand { unshare -n ip link show }
        $request = $m | Where-Object TypeName -EQ 'RTM_GETLINK'
        $request.Direction | Should -Be 'ToKernel'
        $request.DirectionInferred | Should -BeFalse
        $request.FlagNames | Should -Contain 'DUMP'
        # iproute2 6.1 first probes with an RTM_NEWLINK request (seq 0) that the kernel answers ENODEV: the reply
        # to the dump is the RTM_NEWLINK with the dump's sequence number.
        $reply = $m | Where-Object { $_.TypeName -eq 'RTM_NEWLINK' -and $_.Sequence -eq $request.Sequence }
        $reply.Direction | Should -Be 'FromKernel'
        $reply.Attributes.ifname | Should -Be 'lo'
        ($m | Where-Object TypeName -EQ 'NLMSG_DONE').Sequence | Should -Be $request.Sequence
        $m.ProcessName | Select-Object -Unique | Should -Be 'ip'
        @($m.ProcessId | Select-Object -Unique) | Should -HaveCount 1
        $m[0].Source | Should -Be "trace:ip[$($m[0].ProcessId)]"
        $LASTEXITCODE | Should -Be 0
    }

    It 'splits a dump reply buffer into its messages' -Skip:$NotRoot {
        $m = Trace-NetlinkCommand { unshare -n sh -c 'ip link add v0 type veth peer v1 && ip link show >/dev/null' } -MessageType RTM_NEWLINK
        $replies = $m | Where-Object Direction -EQ 'FromKernel'
        $replies.Attributes.ifname | Sort-Object | Should -Be @('lo', 'v0', 'v1')
        $biggest = $replies | Group-Object RecordNumber | Sort-Object Count -Descending | Select-Object -First 1
        $biggest.Count | Should -BeGreaterThan 1
    }

    It 'judges the condition of a Where-Object right after it in the tracer, with the same messages out' -Skip:$NotRoot {
        # The verbose stream is redirected around the pipeline, so it does not pass through Where-Object.
        $output = @(& { Trace-NetlinkCommand { unshare -n ip link show } -Verbose | Where-Object { $_.TypeName -eq 'RTM_NEWLINK' } } 4>&1)
        $output | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message |
            Should -Contain 'The Where-Object condition is judged in the reader first: messages it rejects are not written to the pipeline.'
        $messages = @($output | Where-Object { $_ -is [NlmonPS.Decoding.NetlinkMessage] })
        $messages.TypeName | Select-Object -Unique | Should -Be 'RTM_NEWLINK'
        $messages.Attributes.ifname | Should -Contain 'lo'
    }

    It 'shows a failing command''s kernel error, and reports the exit code' -Skip:$NotRoot {
        $m = Trace-NetlinkCommand { unshare -n ip link add bad0 type ipvlan mode l3 } -ErrorVariable failed -ErrorAction SilentlyContinue
        $ok = $?
        $err = $m | Where-Object { $_.Error -and -not $_.Error.IsAck -and $_.Sequence -ne 0 }
        $err.Error.ErrorName | Should -BeIn @('EOPNOTSUPP', 'EEXIST', 'EINVAL')  # EOPNOTSUPP where ipvlan is not built
        $err.Error.Request.Attributes.ifname | Should -Be 'bad0'
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'TracedCommandFailed*'
        $failed[0].Exception.ExitCode | Should -Be 2
        $ok | Should -BeFalse
        $LASTEXITCODE | Should -Be 2
    }

    It 'names a generic request the kernel refused by its command, not its family' {
        $null = Trace-NetlinkCommand { genl ctrl get name nlmonps-no-such-family } -CommandOutput None -ErrorVariable failed -ErrorAction SilentlyContinue
        $failed[0].Exception.Message | Should -Match 'ENOENT .* \(to CTRL_CMD_GETFAMILY seq \d+\)'
    }

    It 'gives each process of a forking command its own pid' -Skip:$NotRoot {
        $m = Trace-NetlinkCommand { unshare -n sh -c 'ip link >/dev/null; ip addr >/dev/null; true' }
        $link = ($m | Where-Object TypeName -EQ 'RTM_GETLINK' | Select-Object -First 1).ProcessId
        $addr = ($m | Where-Object TypeName -EQ 'RTM_GETADDR' | Select-Object -First 1).ProcessId
        $link | Should -Not -Be $addr
    }

    It 'reports a command killed by a signal' {
        $m = Trace-NetlinkCommand { sh -c 'ip link >/dev/null; kill -9 $$' } -ErrorVariable failed -ErrorAction SilentlyContinue
        $m | Where-Object TypeName -EQ 'RTM_NEWLINK' | Should -Not -BeNullOrEmpty
        $failed[0].CategoryInfo.Category | Should -Be 'OperationStopped'
        $failed[0].Exception.SignalName | Should -Be 'SIGKILL'
        $LASTEXITCODE | Should -Be 137
    }

    It 'takes arguments as PowerShell passes them to programs' -Skip:$NotRoot {
        $dev = 'lo'
        $m = Trace-NetlinkCommand { unshare -n ip link show dev $dev } -MessageType RTM_GETLINK
        $m.Attributes.ifname | Select-Object -Unique | Should -Be 'lo'
    }

    It 'expands wildcards and ~ in unquoted words as pwsh does for programs, and nothing quoted' {
        $dir = Join-Path ([IO.Path]::GetTempPath()) "nlmonps-glob-$PID"
        New-Item -ItemType Directory $dir | Out-Null
        'b', 'a' | ForEach-Object { New-Item "$dir/$_.conf" | Out-Null }
        Push-Location $dir
        try {
            $info = $null
            $pattern = '*.conf'; $here = '.'
            Trace-NetlinkCommand { printf '[%s]\n' *.conf '*.conf' ~ ~/x nomatch* $pattern "$pattern" $here/b* -o:~/y } -InformationVariable info | Out-Null
            $pwshItself = & printf '[%s]\n' *.conf '*.conf' ~ ~/x nomatch* $pattern "$pattern" $here/b* -o:~/y
            $info.MessageData | Should -Be $pwshItself
            $info.MessageData | Should -Be @('[a.conf]', '[b.conf]', '[*.conf]', "[$HOME]", "[$HOME/x]", '[nomatch*]',
                '[a.conf]', '[b.conf]', '[*.conf]', '[b.conf]', "[-o:$HOME/y]")
        }
        finally {
            Pop-Location
            Remove-Item -Recurse -Force $dir
        }
    }

    It 'runs -FilePath with -ArgumentList as given' -Skip:$NotRoot {
        $m = Trace-NetlinkCommand -FilePath unshare -ArgumentList '-n', 'ip', 'addr', 'show' -MessageType RTM_GETADDR
        $m | Should -Not -BeNullOrEmpty
        $m.Direction | Select-Object -Unique | Should -Be 'ToKernel'
    }

    It 'stops the trace, and the command, when Select-Object has enough' {
        $m = Trace-NetlinkCommand { sh -c 'while :; do ip link >/dev/null; sleep 0.1; done' } | Select-Object -First 3
        $m | Should -HaveCount 3
    }

    It 'leaves $LASTEXITCODE as it was when -Count or -Duration stops the command, as pwsh does after Select-Object -First' {
        & sh -c 'exit 5'
        $m = Trace-NetlinkCommand { sh -c 'while :; do ip link >/dev/null; sleep 0.1; done' } -Count 2
        $m | Should -HaveCount 2
        $LASTEXITCODE | Should -Be 5
        $null = Trace-NetlinkCommand { sh -c 'while :; do ip link >/dev/null; sleep 0.1; done' } -Duration 1
        $LASTEXITCODE | Should -Be 5
    }

    It 'refuses a script block that is not one native command line' {
        { Trace-NetlinkCommand { ip link | Where-Object x } -ErrorAction Stop } | Should -Throw -ErrorId 'TraceScriptBlockNotCommandLine,NlmonPS.Cmdlets.TraceNetlinkCommandCommand'
        { Trace-NetlinkCommand { Get-Date } -ErrorAction Stop } | Should -Throw -ExpectedMessage "*'Get-Date' is a PowerShell cmdlet*"
    }

    It 'names a missing program, and stops as pwsh does for a missing command (try/catch catches it)' {
        $e = { Trace-NetlinkCommand -FilePath no-such-program-nlmonps } | Should -Throw -ErrorId 'TraceCommandNotFound*' -PassThru
        $e.CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $e.Exception.Message | Should -BeLike '*not found in PATH. Check the name*'
        $caught = try { Trace-NetlinkCommand { no-such-program-nlmonps link }; 'not caught' } catch { $_.FullyQualifiedErrorId }
        $caught | Should -BeLike 'TraceCommandNotFound*'
    }

    It 'says a file that is not executable is not, and how to run it' {
        $script = Join-Path ([IO.Path]::GetTempPath()) "nlmonps-noexec-$PID.sh"
        Set-Content -LiteralPath $script 'ip link show lo'
        try {
            & chmod 644 $script
            $e = { Trace-NetlinkCommand -FilePath $script } | Should -Throw -ErrorId 'TraceCommandNotExecutable*' -PassThru
            $e.CategoryInfo.Category | Should -Be 'PermissionDenied'
            $e.Exception.Message | Should -BeLike "*chmod +x*sh '$script'*"
            $e.TargetObject | Should -Be $script
        }
        finally { Remove-Item -LiteralPath $script }
    }

    It 'names a process that is gone' {
        { Trace-NetlinkCommand -ProcessId 2147483646 } | Should -Throw -ErrorId 'TraceProcessNotFound*'
    }

    It 'refuses a process this session started itself' {
        # Far longer than the test (the finally ends it): in the rig's guest a cold cmdlet call can take many seconds,
        # and a sleep that ended on its own would fail the HasExited check.
        $p = Start-Process -FilePath sleep -ArgumentList 3600 -PassThru
        try {
            { Trace-NetlinkCommand -ProcessId $p.Id -Duration 1 } | Should -Throw -ErrorId 'TraceProcessIsChildOfHost*'
            $p.HasExited | Should -BeFalse
        }
        finally { $p | Stop-Process -Force }
    }
}

Describe 'Trace-NetlinkCommand -ProcessId' -Tag Live -Skip:$Skip {
    BeforeEach { $script:Loop = Start-Loop }
    AfterEach { Stop-Process -Id $Loop -Force -ErrorAction SilentlyContinue }

    It 'follows the forks of a running process for -Duration, then detaches and leaves it running' {
        # 6 s, not 2: in the kernel rig's emulated guest (.NET ~30x slower) 2 s once caught no RTM_GETLINK at all.
        $m = Trace-NetlinkCommand -ProcessId $Loop -Duration 6
        $m | Where-Object TypeName -EQ 'RTM_GETLINK' | Should -Not -BeNullOrEmpty
        $m.ProcessName | Select-Object -Unique | Should -Be 'ip'
        $m.ProcessId | Should -Not -Contain $Loop
        Get-Process -Id $Loop | Should -Not -BeNullOrEmpty
        Get-TracerPid $Loop | Should -Be 0
    }

    It 'detaches after -Count messages' {
        Trace-NetlinkCommand -ProcessId $Loop -Count 3 | Should -HaveCount 3
        Get-TracerPid $Loop | Should -Be 0
    }
}

Describe 'Trace-NetlinkCommand and pcap files' -Tag Live -Skip:$Skip {
    It 'exports messages that Get-NetlinkMessage reads back the same' -Skip:$NotRoot {
        $file = Join-Path $TestDrive 'trace.pcap'
        $traced = Trace-NetlinkCommand { unshare -n sh -c 'ip link add v0 type veth peer v1; ip -d link show; ip addr' } | Export-NetlinkPcap -Path $file -PassThru
        $back = Get-NetlinkMessage -Path $file
        $back | Should -HaveCount $traced.Count
        for ($i = 0; $i -lt $traced.Count; $i++) {
            [Convert]::ToHexString($back[$i].Bytes) | Should -Be ([Convert]::ToHexString($traced[$i].Bytes))
            $back[$i].Direction | Should -Be $traced[$i].Direction
        }
    }

    It 'writes the README''s capture, which tshark reads without malformed frames' {
        Push-Location $TestDrive
        try {
            Trace-NetlinkCommand { ip -d link show } | Where-Object Direction -eq FromKernel | Export-NetlinkPcap t.pcap
            $text = & tshark -r t.pcap -V 2>$null
            $LASTEXITCODE | Should -Be 0
            $all = $text -join "`n"
            $all | Should -Match 'Encapsulation type: Linux Netlink'
            $all | Should -Match 'Netlink message header \(type: Create network interface\)'
            $all | Should -Not -Match 'Malformed'
        }
        finally { Pop-Location }
    }
}
