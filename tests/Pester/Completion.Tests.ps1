#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Tab completion as pwsh does it (TabExpansion2), and the errors a value that names nothing gets. Live values come
# from a private named network namespace this file creates (needs root and iproute2; those tests skip otherwise).

BeforeDiscovery {
    Import-Module "$PSScriptRoot/NlmonPS.TestHelpers.psm1"
    $script:NoNetns = $null -ne (Get-SkipReason -Root)   # a missing ip fails, it does not skip
}

BeforeAll {
    Import-Module "$PSScriptRoot/NlmonPS.TestHelpers.psm1"
    Import-NlmonPS
    $script:Root = $RepoRoot
    $script:NoNetns = $null -ne (Get-SkipReason -Root)
    $script:Fixture = "$Root/tests/fixtures/route-link-addr.pcap"
    function Complete([string] $Line) {
        (TabExpansion2 -inputScript $Line -cursorColumn $Line.Length).CompletionMatches | ForEach-Object CompletionText
    }
    $script:Nlmon = 'Route', 'Usersock', 'SockDiag', 'Nflog', 'Xfrm', 'FibLookup', 'Netfilter', 'Generic'
    $script:Netns = "nlmonps-complete-$PID"
    if (-not $NoNetns) {
        & ip netns add $Netns
        & ip -n $Netns link add nlmonpsveth0 type veth peer name nlmonpsveth1
    }
}

AfterAll {
    if (-not $NoNetns) { & ip netns delete $Netns 2>$null }
}

Describe 'Completion' {
    It 'offers only the eight protocols nlmon passes where -Protocol filters a live capture' {
        Complete 'Get-NetlinkMessage -Protocol ' | Sort-Object | Should -Be ($Nlmon | Sort-Object)
    }

    It 'offers every protocol where -Protocol filters a file' {
        $all = Complete "Get-NetlinkMessage -Path $Fixture -Protocol "
        $all | Should -Contain 'Audit'
        $all | Should -Contain 'Route'
        Complete "Get-NetlinkMessage -Path $Fixture -Protocol Ro" | Should -Be 'Route'
    }

    It 'narrows -MessageType by -Protocol' {
        $route = Complete 'Get-NetlinkMessage -Protocol Route -MessageType RTM_NEWL'
        $route | Should -Contain 'RTM_NEWLINK'
        $route | ForEach-Object { $_ | Should -BeLike 'RTM_NEWL*' }
        $generic = Complete 'Get-NetlinkMessage -Protocol Generic -MessageType '
        $generic | Should -Contain 'nlctrl'
        $generic | Should -Contain 'CTRL_CMD_GETFAMILY'
        $generic | Should -Not -Contain 'RTM_NEWLINK'
        $any = Complete 'Trace-NetlinkCommand -MessageType CTRL_CMD_GETF'
        $any | Should -Be 'CTRL_CMD_GETFAMILY'
    }

    It 'reads a word with wildcards of its own as a pattern: RTM_*ROUTE' {
        Complete 'Get-NetlinkMessage -Protocol Route -MessageType RTM_*ROUTE' | Sort-Object | Should -Be @('RTM_DELROUTE', 'RTM_GETROUTE', 'RTM_NEWROUTE')
    }

    It 'offers the generic families the running kernel registered' {
        $kernel = Complete 'Get-NetlinkMessage -Protocol Generic -MessageType '
        # nlctrl is always there; the kernel's list comes from an nlctrl dump (it needs no privilege).
        $kernel | Should -Contain 'nlctrl'
    }

    It 'offers the running kernel''s generic families as the map -GenericFamily takes' {
        $all = Complete 'Get-NetlinkMessage -Path x.pcap -GenericFamily '
        # This kernel registers families beyond nlctrl (every kernel here does: VFS_DQUOT at least); nlctrl's id is fixed.
        $all | Should -Not -BeNullOrEmpty
        $map = Invoke-Expression $all[0]
        $map | Should -BeOfType [hashtable]
        $map.Values | Should -Not -Contain 'nlctrl'
        $first = @($map.GetEnumerator() | Sort-Object Key)[0]
        $one = Complete "Get-NetlinkMessage -Path x.pcap -GenericFamily $($first.Value.Substring(0, 3))"
        $one | Should -Contain "@{ $($first.Key) = '$($first.Value)' }"
        { Get-NetlinkMessage -Path $Fixture -GenericFamily (Invoke-Expression $all[0]) -Count 1 } | Should -Not -Throw
        Complete 'Get-NetlinkMessage -GenericFamily nosuchfamily' | Should -BeNullOrEmpty
    }

    It 'offers the programs of PATH for Trace-NetlinkCommand -FilePath, and executables and directories for a path' {
        Complete 'Trace-NetlinkCommand -FilePath i' | Should -Contain 'ip'
        $dir = Join-Path ([IO.Path]::GetTempPath()) "nlmonps-complete-$PID"
        $null = New-Item -ItemType Directory -Path "$dir/sub" -Force
        Set-Content "$dir/tool" 'true'; Set-Content "$dir/text" 'x'
        & chmod 755 "$dir/tool"; & chmod 644 "$dir/text"
        try {
            Complete "Trace-NetlinkCommand -FilePath $dir/" | Should -Be "$dir/sub/", "$dir/tool"
            Push-Location $dir
            try { Complete 'Trace-NetlinkCommand -FilePath ./t' | Should -Be './tool' } finally { Pop-Location }
            # ~ is the home directory, kept as typed; a link to nothing is no program.
            & ln -s /nonexistent "$dir/dangling"
            Complete "Trace-NetlinkCommand -FilePath $dir/d" | Should -BeNullOrEmpty
            $home_ = @(Complete 'Trace-NetlinkCommand -FilePath ~/')
            $home_.Count | Should -BeGreaterThan 0
            $home_ | ForEach-Object { $_ | Should -BeLike '~/*' }
        }
        finally { Remove-Item -Recurse -Force $dir }
    }

    It 'offers the links of this namespace for -InterfaceName, -Source and -Destination' -Skip:$NoNetns {
        Complete 'Get-PacketDrop -InterfaceName ' | Should -Contain 'lo'
        Complete 'New-PortMirror -Source l' | Should -Contain 'lo'
        Complete 'Get-PortMirror -Destination l' | Should -Contain 'lo'
    }

    It 'offers the links of the namespace -NetNamespace names' -Skip:$NoNetns {
        Complete "Get-PacketDrop -NetNamespace $Netns -InterfaceName nlmonps" | Sort-Object | Should -Be 'nlmonpsveth0', 'nlmonpsveth1'
        Complete 'Get-PacketDrop -InterfaceName nlmonps' | Should -BeNullOrEmpty
    }

    It 'offers named network namespaces for -NetNamespace' -Skip:$NoNetns {
        Complete "Get-NlmonDevice -NetNamespace nlmonps-complete-" | Should -Contain $Netns
        Complete "Get-NetlinkMessage -NetNamespace nlmonps-complete-" | Should -Contain $Netns
        Complete "Get-PacketDrop -NetNamespace nlmonps-complete-" | Should -Contain $Netns
    }

    It 'offers only nlmon devices for -Name, and a free name to New-NlmonDevice' -Skip:$NoNetns {
        Complete "Get-NlmonDevice -NetNamespace $Netns -Name " | Should -BeNullOrEmpty -Because 'the namespace has veth devices, no nlmon'
        Complete "Remove-NlmonDevice -NetNamespace $Netns -Name " | Should -BeNullOrEmpty
        Complete "New-NlmonDevice -NetNamespace $Netns -Name " | Should -Be 'nlmon0'
    }

    It 'offers drop reasons for Get-PacketDrop -Reason and protocols for its -Protocol' {
        Complete 'Get-PacketDrop -Reason NO_S' | Should -Be 'NO_SOCKET'
        Complete 'Get-PacketDrop -Reason netfilter' | Should -Be 'NETFILTER_DROP'
        Complete 'Get-PacketDrop -Protocol IPv' | Should -Be 'IPv4', 'IPv6'
    }

    It 'offers nothing, and raises nothing, where the system refuses' {
        Complete 'Get-PacketDrop -NetNamespace no-such-namespace-at-all -InterfaceName ' | Should -BeNullOrEmpty
        $Error.Clear()
        Complete 'New-PortMirror -Source zzzz' | Should -BeNullOrEmpty
        $Error.Count | Should -Be 0
    }
}

Describe 'A value that names nothing is an error naming the nearest' {
    It '<Command> -MessageType RTM_NEWLNK: did you mean RTM_NEWLINK?' -ForEach @(
        @{ Command = 'Get-NetlinkMessage'; Run = { Get-NetlinkMessage -Path $Fixture -MessageType RTM_NEWLNK } }
        @{ Command = 'Trace-NetlinkCommand'; Run = { Trace-NetlinkCommand { ip link show lo } -MessageType RTM_NEWLNK } }) {
        $e = { & $Run } | Should -Throw -ErrorId "UnknownMessageType,NlmonPS.Cmdlets.$($Command -replace '-')Command" -PassThru
        $e.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $e.TargetObject | Should -Be 'RTM_NEWLNK'
        $e.Exception.Message | Should -Match 'Did you mean RTM_NEWLINK\b'
    }

    It 'names the nearest family: nl8021 -> nl80211' {
        $e = { Get-NetlinkMessage -Path $Fixture -MessageType nl8021 } | Should -Throw -ErrorId 'UnknownMessageType*' -PassThru
        $e.Exception.Message | Should -Match 'Did you mean nl80211\?'
    }

    It 'says which protocol a type belongs to when -Protocol excludes it' {
        $e = { Get-NetlinkMessage -Path $Fixture -Protocol Generic -MessageType RTM_NEWLINK } | Should -Throw -ErrorId 'MessageTypeNotInProtocol*' -PassThru
        $e.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $e.Exception.Message | Should -Match 'RTM_NEWLINK is a ROUTE message'
    }

    It 'names the nearest protocol: -Protocol Rout -> Route' {
        $e = { Get-NetlinkMessage -Path $Fixture -Protocol Rout } | Should -Throw -ErrorId 'UnknownNetlinkProtocol*' -PassThru
        $e.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $e.Exception.Message | Should -Match 'Did you mean Route\?'
    }

    It 'refuses a protocol nlmon does not tap, naming the ones it does' {
        $e = { Get-NetlinkMessage -Protocol Audit -Count 1 } | Should -Throw -ErrorId 'NlmonProtocolNotCaptured*' -PassThru
        $e.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $e.Exception.Message | Should -Match 'Route, Usersock, SockDiag'
    }

    It 'accepts what can match: wildcards, families, "family command", unknown types, uapi protocol names and numbers' {
        (Get-NetlinkMessage -Path $Fixture -MessageType 'RTM_*').Count | Should -BeGreaterThan 0
        { Get-NetlinkMessage -Path "$Root/tests/fixtures/genl.pcap" -MessageType nlctrl, 'nlctrl CTRL_CMD_*', 'unknown*' -ErrorAction Stop } | Should -Not -Throw
        (Get-NetlinkMessage -Path $Fixture -Protocol NETLINK_ROUTE, 0 -Count 1).Protocol | Should -Be 'Route'
        { Get-NetlinkMessage -Path $Fixture -Protocol SOCK_DIAG -ErrorAction Stop } | Should -Not -Throw
    }

    It 'warns about a -Reason no drop reason matches, naming the nearest' {
        # Without tracefs (not root, or none mounted) the module's list may be older than the kernel: a warning.
        # With the kernel's list it is an error; either way the text names the fix.
        $warnings = $null
        $e = $null
        try { Get-PacketDrop -Reason NO_SOCKT -Count 1 -Duration 1 -WarningVariable warnings -WarningAction SilentlyContinue -ErrorAction Stop } catch { $e = $_ }
        $text = if ($e.FullyQualifiedErrorId -like 'DropMonitorUnknownReason*') { $e.Exception.Message } else { "$warnings" }
        $text | Should -Match 'Did you mean NO_SOCKET\?'
    }
}
