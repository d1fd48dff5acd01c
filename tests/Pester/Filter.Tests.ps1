#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }

# -Filter in real pwsh: the same messages as Where-Object with the same block, over the real captures, for fixed
# filters and for generated ones (a property test: paths, operators and constants drawn at random, seeded).
BeforeAll {
    $script:Root = Resolve-Path "$PSScriptRoot/../.."
    Import-Module "$Root/out/NlmonPS/NlmonPS.psd1" -Force
    $script:Captures = @(Get-ChildItem "$Root/tests/fixtures/*.pcap", "$Root/tests/fixtures/native/*.pcap" | ForEach-Object FullName)
    $script:All = @(Get-NetlinkMessage -Path $Captures -ErrorAction SilentlyContinue)
    function script:Key { process { '{0}/{1}/{2}' -f $_.Source, $_.RecordNumber, $_.Index } }
    function script:Compare-Filter([scriptblock] $Block) {
        # A block that fails for a message (a conversion that cannot be made) passes it on neither side: an error
        # for that message, which goes on (Pester's own preference would stop at the first).
        $ErrorActionPreference = 'Continue'
        $pushed = @(Get-NetlinkMessage -Path $Captures -Filter $Block 2>$null | Key)
        $where = @($All | Where-Object $Block 2>$null | Key)
        [pscustomobject]@{ Pushed = $pushed; Where = $where }
    }
}

Describe 'Get-NetlinkMessage -Filter' {
    It 'passes what Where-Object passes: { <Text> }' -ForEach @(
        @{ Text = '$_.Attributes.ifname -like ''d*'' -and -not $_.Error' }
        @{ Text = '$_.Attributes.linkinfo.kind -in ''veth'', ''dummy''' }
        @{ Text = '$_.Error.Errno -ne 0 -and $_.Error.Request.TypeName -match ''^RTM_NEW''' }
        @{ Text = '$_.FlagNames -contains ''ack'' -or $_.Header.family -eq ''inet6''' }
        @{ Text = '$_.TypeName -eq ''RTM_NEWADDR'' -and $_.Attributes.address -like ''10.*''' }
        # Judged on the bytes before decoding (a condition on a top-level text attribute).
        @{ Text = '$_.Attributes.ifname -eq ''LO''' }
        @{ Text = '$_.Attributes.ifname -cin ''lo'', ''d0''' }
        @{ Text = '$_.Attributes.ifname -match ''^v'' -and $_.Attributes.qdisc -ne ''x''' }
        @{ Text = '$_.Attributes.label -like ''d*''' }
        # Generic netlink, judged on the bytes by family and command (ethtool's header nest).
        @{ Text = '$_.Attributes.header.dev_name -eq ''lo''' }
        @{ Text = '$_.Attributes.header.dev_name -like ''l*'' -and $_.Command -notlike ''*_SET''' }
        # Netfilter, judged on the bytes by type (conntrack's tuple, through two nests; nftables' table name).
        @{ Text = '$_.Attributes.tuple_orig.ip.v4_src -eq ''127.0.0.1'' -and $_.Attributes.tuple_orig.proto.dst_port -eq 5555' }
        @{ Text = '$_.Attributes.table -in ''filter'', ''nat''' }
        # Family-header fields, judged on the bytes too.
        @{ Text = '$_.Header.index -eq 1 -and -not $_.Error' }
        @{ Text = '$_.Header.family -eq ''inet6'' -and $_.Header.dst_len -in 0, 64, 128' }
        # An MPLS route's destination is a label, an IPv4 route's an address: the family header picks.
        @{ Text = '$_.Attributes.dst -eq 100 -or $_.Attributes.newdst -contains 300' }
        @{ Text = '$_.Attributes.dst -like ''10.*''' }
    ) {
        $result = Compare-Filter ([scriptblock]::Create($Text))
        $result.Pushed | Should -Be $result.Where
        $result.Where.Count | Should -BeGreaterThan 0
    }

    It 'passes what Where-Object passes for generated filters (seed <Seed>)' -ForEach (1..12 | ForEach-Object { @{ Seed = $_ } }) {
        $random = [System.Random]::new($Seed)
        # Strings with strings and numbers with numbers: a string that is no number fails the conversion, an error
        # that Pester turns into a failure of the test (the xUnit property test has those too).
        $strings = '$_.TypeName', '$_.Protocol', '$_.FlagNames', '$_.Direction', '$_.Header.family', '$_.Attributes.ifname',
            '$_.Attributes.linkinfo.kind', '$_.Attributes.nosuch', '$_.Error.ErrorName', '$_.Family', '$_.Command',
            '$_.Attributes.header.dev_name'
        $numbers = '$_.Sequence', '$_.Header.index', '$_.Attributes.mtu', '$_.Error.Errno', '$_.Length', '$_.Type'
        $paths = $strings + $numbers + '$_.Error', '$_.IsMalformed'
        $operators = '-eq', '-ne', '-gt', '-le', '-like', '-notlike', '-ceq', '-contains', '-in', '-notin', '-match'
        $textConstants = "'lo'", "'d0'", "'d*'", "'RTM_NEWLINK'", "'route'", "'inet'", "'ack'", "''", '$null', "'^e'"
        $numberConstants = '0', '1', '2', '16', '1500', '65536', '$null', "'20'"
        $pick = { param($list) $list[$random.Next($list.Count)] }
        $condition = {
            if ($random.Next(2)) { '{0} {1} {2}' -f (& $pick $strings), (& $pick $operators), (& $pick $textConstants) }
            else { '{0} {1} {2}' -f (& $pick $numbers), (& $pick $operators), (& $pick $numberConstants) }
        }
        $text = switch ($random.Next(4)) {
            0 { & $condition }
            1 { '{0} -and {1}' -f (& $condition), (& $condition) }
            2 { '{0} -or -not ({1})' -f (& $condition), (& $condition) }
            3 { '({0}) -xor {1}' -f (& $condition), (& $pick $paths) }
        }
        $result = Compare-Filter ([scriptblock]::Create($text))
        $result.Pushed | Should -Be $result.Where -Because "{ $text }"
    }

    It 'says with -Verbose whether it compiled, and runs what it cannot compile as the script block' {
        $compiled = Get-NetlinkMessage -Path $Captures -Filter { $_.Attributes.ifname -eq 'lo' } -Count 1 -Verbose 4>&1 |
            Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
        $compiled.Message | Should -Contain '-Filter compiled: it is judged inside the reader, before a message reaches the pipeline.'
        $compiled.Message | Should -Contain '-Filter''s condition on $_.Attributes.ifname is also judged on each message''s bytes, before decoding, where the message''s layout allows.'
        $block = { "$($_.Attributes.ifname)".ToUpper() -eq 'LO' }
        $interpreted = Get-NetlinkMessage -Path $Captures -Filter $block -Verbose -ErrorAction SilentlyContinue 4>&1
        ($interpreted | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message -match 'cannot be compiled' | Should -Not -BeNullOrEmpty
        @($interpreted | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] } | Key) | Should -Be @($All | Where-Object $block | Key)
    }
    It 'reports a block that fails for a message as FilterFailed for that message (under a try, as here), and goes on' {
        $ev = $null
        $passed = @(Get-NetlinkMessage -Path $Captures[0] -Filter { 1 / $_.Sequence -gt 0 } -ErrorAction SilentlyContinue -ErrorVariable ev)
        $zero = @(Get-NetlinkMessage -Path $Captures[0] | Where-Object Sequence -eq 0)
        $zero.Count | Should -BeGreaterThan 0
        $ev.Count | Should -Be $zero.Count
        $ev[0].FullyQualifiedErrorId | Should -Be 'FilterFailed,NlmonPS.Cmdlets.GetNetlinkMessageCommand'
        $ev[0].TargetObject | Should -BeOfType NlmonPS.Decoding.NetlinkMessage
        "$($ev[0])" | Should -Match '^-Filter on .*\(record \d+, message \d+\): Attempted to divide by zero\.'
        $passed.Count | Should -Be (@(Get-NetlinkMessage -Path $Captures[0]).Count - $zero.Count)
        { Get-NetlinkMessage -Path $Captures[0] -Filter { throw 'boom' } -ErrorAction Stop } | Should -Throw -ErrorId 'FilterFailed,NlmonPS.Cmdlets.GetNetlinkMessageCommand'
    }

    It 'passes what the block outputs after a statement of it failed, as Where-Object does' {
        # In a child pwsh: under Pester's try, PowerShell makes a failing statement stop the whole block, in
        # Where-Object's block as in this one. The statement's error is PowerShell's, written where Where-Object's is.
        $script = @'
Import-Module '{0}'
$block = {{ $null = [int]'not a number'; $_.Sequence -ge 0 }}
$p = @(Get-NetlinkMessage -Path '{1}' -Filter $block 2>$null)
$w = @(Get-NetlinkMessage -Path '{1}' | ForEach-Object {{ $_ }} | Where-Object $block 2>$null)
$t = @(Get-NetlinkMessage -Path '{1}' -Filter {{ throw 'boom' }} -ErrorAction SilentlyContinue -ErrorVariable ev)
"$($p.Count) $($w.Count) $($t.Count) $($ev.Count) $($ev[0].FullyQualifiedErrorId)"
'@ -f "$Root/out/NlmonPS/NlmonPS.psd1", $Captures[0]
        $passed, $where, $thrown, $errors, $id = (& (Join-Path $PSHOME pwsh) -NoProfile -NonInteractive -Command $script) -split ' '
        [int]$passed | Should -BeGreaterThan 0
        $passed | Should -Be $where
        $thrown | Should -Be 0
        $errors | Should -Be @(Get-NetlinkMessage -Path $Captures[0]).Count
        $id | Should -Be 'FilterFailed,NlmonPS.Cmdlets.GetNetlinkMessageCommand'
    }

    It 'takes a generic family''s name for -MessageType: all its messages' {
        $genl = "$Root/tests/fixtures/genl.pcap"
        $family = @(Get-NetlinkMessage -Path $genl -MessageType nlctrl)
        $family.Count | Should -BeGreaterThan 0
        $family.Count | Should -Be @(Get-NetlinkMessage -Path $genl -MessageType 'nlctrl *').Count
        $family.Family | Select-Object -Unique | Should -Be 'nlctrl'
    }
}

# `Get-NetlinkMessage | Where-Object { … }`: the condition is judged in the reader first, so a message it rejects is
# never written; Where-Object still judges every message written. The pipeline must give what it gave without that:
# the same messages, and the same errors (the malformed messages' own, and Where-Object's for blocks that fail).
Describe 'Get-NetlinkMessage | Where-Object (the condition judged in the reader)' {
    BeforeAll {
        function script:Compare-Pushdown([scriptblock] $Block) {
            # Where-Object's error for a message it cannot judge stops the pipeline under Pester's 'Stop' preference
            # (the block runs with it): then both pipelines must stop at the same message, with the same error.
            $ErrorActionPreference = 'Continue'
            $pushed = [System.Collections.Generic.List[string]]::new(); $held = [System.Collections.Generic.List[string]]::new()
            $pushedErrors = $heldErrors = $null
            try {
                Get-NetlinkMessage -Path $Captures -ErrorVariable +pushedErrors 2>$null |
                    Where-Object $Block -ErrorVariable +pushedErrors 2>$null | Key | ForEach-Object { $pushed.Add($_) }
            } catch { $pushedStop = "stopped: $($_ | Get-ErrorText)" }
            # ForEach-Object between them: Where-Object is no longer next, so nothing is pushed down.
            try {
                Get-NetlinkMessage -Path $Captures -ErrorVariable +heldErrors 2>$null | ForEach-Object { $_ } |
                    Where-Object $Block -ErrorVariable +heldErrors 2>$null | Key | ForEach-Object { $held.Add($_) }
            } catch { $heldStop = "stopped: $($_ | Get-ErrorText)" }
            [pscustomobject]@{
                Pushed = @($pushed) + @($pushedStop); Held = @($held) + @($heldStop)
                PushedErrors = @($pushedErrors | Get-ErrorText | Sort-Object)
                HeldErrors = @($heldErrors | Get-ErrorText | Sort-Object)
            }
        }
        # An error's id and the first line of its message (a conversion's message goes on with a .NET stack trace,
        # which shows where the engine's call site was in learning its rules, not what failed).
        function script:Get-ErrorText {
            process { '{0}: {1}' -f $_.FullyQualifiedErrorId, ("$($_.Exception.Message)" -split "`n")[0] }
        }
        function script:Get-VerboseText([scriptblock] $Pipeline) {
            @(& $Pipeline 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message)
        }
    }

    It 'passes what Where-Object passes alone, with the same errors: { <Text> }' -ForEach @(
        @{ Text = '$_.Attributes.ifname -like ''d*'' -and -not $_.Error' }
        @{ Text = '$_.TypeName -eq ''RTM_NEWADDR''' }
        @{ Text = '$_.Error.Errno -ne 0 -and $_.Error.Request.TypeName -match ''^RTM_NEW''' }
        @{ Text = '$_.IsMalformed -or $_.Attributes.linkinfo.kind -in ''veth'', ''dummy''' }
        @{ Text = '$_.Sequence -gt ''not a number''' }   # fails for every message: Where-Object's errors, all of them
        @{ Text = '$_.Protocol -ge $_.Sequence' }   # an enum against a number: PowerShell's own error for every message
        @{ Text = '$local:_.Index -eq 1 -and $local:PSItem.Protocol -eq ''Route''' }
        @{ Text = '$null -eq $MyInvocation.MyCommand' }   # the block's own invocation, not the caller's: left to Where-Object
    ) {
        $result = Compare-Pushdown ([scriptblock]::Create($Text))
        $result.Pushed | Should -Be $result.Held
        $result.PushedErrors | Should -Be $result.HeldErrors
        $result.PushedErrors.Count + $result.Held.Count | Should -BeGreaterThan 0
    }

    It 'passes what Where-Object passes alone for generated filters (seed <Seed>)' -ForEach (101..110 | ForEach-Object { @{ Seed = $_ } }) {
        $random = [System.Random]::new($Seed)
        $paths = '$_.TypeName', '$_.Protocol', '$_.FlagNames', '$_.Direction', '$_.Header.family', '$_.Attributes.ifname',
            '$_.Attributes.linkinfo.kind', '$_.Attributes.nosuch', '$_.Error.ErrorName', '$_.Command', '$_.Sequence',
            '$_.Header.index', '$_.Attributes.mtu', '$_.Error.Errno', '$_.Length', '$_.IsMalformed', '$_.Error'
        # Mixed freely: a string that is no number fails the conversion, and Where-Object's error must come out the same.
        $operators = '-eq', '-ne', '-gt', '-le', '-like', '-notlike', '-ceq', '-contains', '-in', '-notin', '-match'
        $constants = "'lo'", "'d*'", "'RTM_NEWLINK'", "'inet'", "'ack'", "''", '$null', '0', '1', '16', '1500', "'20'"
        $pick = { param($list) $list[$random.Next($list.Count)] }
        $condition = { '{0} {1} {2}' -f (& $pick $paths), (& $pick $operators), (& $pick $constants) }
        $text = switch ($random.Next(3)) {
            0 { & $condition }
            1 { '{0} -and {1}' -f (& $condition), (& $condition) }
            2 { '{0} -or -not ({1})' -f (& $condition), (& $condition) }
        }
        $result = Compare-Pushdown ([scriptblock]::Create($text))
        $result.Pushed | Should -Be $result.Held -Because "{ $text }"
        $result.PushedErrors | Should -Be $result.HeldErrors -Because "{ $text }"
    }

    It 'says with -Verbose that it judged the condition in the reader' {
        $text = Get-VerboseText { Get-NetlinkMessage -Path $Captures -Verbose -ErrorAction SilentlyContinue | Where-Object { $_.TypeName -eq 'RTM_NEWADDR' } }
        $text | Should -Contain 'The Where-Object condition is judged in the reader first: messages it rejects are not written to the pipeline.'
        $text -match '^The Where-Object condition was judged in the reader first: \d+ messages judged' | Should -Not -BeNullOrEmpty
    }

    It 'leaves the condition to Where-Object where it cannot be judged in the reader the same way: <Case>' -ForEach @(
        @{ Case = 'strict mode'; Why = 'strict mode is on*'
           Run = { & { Set-StrictMode -Version Latest; Get-NetlinkMessage -Path $Captures -Verbose -ErrorAction SilentlyContinue | Where-Object { $_.TypeName -eq 'RTM_NEWLINK' } } } }
        @{ Case = '-OutVariable'; Why = '-OutVariable sees every message*'
           Run = { Get-NetlinkMessage -Path $Captures -OutVariable every -Verbose -ErrorAction SilentlyContinue | Where-Object { $_.TypeName -eq 'RTM_NEWLINK' } } }
        @{ Case = 'a block it cannot compile'; Why = 'it cannot be compiled*'
           Run = { Get-NetlinkMessage -Path $Captures -Verbose -ErrorAction SilentlyContinue | Where-Object { "$($_.TypeName)".ToUpper() -eq 'RTM_NEWLINK' } } }
    ) {
        $output = @(& $Run 4>&1)
        $verbose = @($output | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message)
        $verbose | Where-Object { $_ -like "The Where-Object condition is not judged in the reader: $Why" } | Should -Not -BeNullOrEmpty
        @($output | Where-Object { $_ -is [NlmonPS.Decoding.NetlinkMessage] } | Key) |
            Should -Be @($All | Where-Object { $_.TypeName -eq 'RTM_NEWLINK' } | Key)
    }

    It 'leaves what the block sets or reads of its own to Where-Object: $Matches and $?' {
        $Matches = $null
        $null = Get-NetlinkMessage -Path $Captures -ErrorAction SilentlyContinue |
            Where-Object { $_.TypeName -match '^RTM_(NEW)' -and $_.Index -gt 99999 }
        $Matches[0] | Should -Be 'RTM_NEW'   # set by messages Where-Object rejected
        $null = Get-Item -Path '/nonexistent' -ErrorAction SilentlyContinue
        $failed = @(Get-NetlinkMessage -Path "$Root/tests/fixtures/tc.pcap" | Where-Object { -not $? }).Count
        $null = Get-Item -Path '/nonexistent' -ErrorAction SilentlyContinue
        $failed | Should -Be @(Get-NetlinkMessage -Path "$Root/tests/fixtures/tc.pcap" | ForEach-Object { $_ } | Where-Object { -not $? }).Count
    }

    It 'counts with -Count before Where-Object, as without it' {
        @(Get-NetlinkMessage -Path $Captures -Count 40 -ErrorAction SilentlyContinue | Where-Object { $_.TypeName -eq 'RTM_NEWLINK' } | Key) |
            Should -Be @($All | Select-Object -First 40 | Where-Object { $_.TypeName -eq 'RTM_NEWLINK' } | Key)
    }

    It 'reads the caller''s variables when it judges a message' {
        $wanted = 'RTM_NEWADDR'
        $first = @(Get-NetlinkMessage -Path $Captures -ErrorAction SilentlyContinue | Where-Object { $_.TypeName -eq $wanted } | Key)
        $first | Should -Be @($All | Where-Object TypeName -EQ 'RTM_NEWADDR' | Key)
    }
}
