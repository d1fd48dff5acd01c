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
            '$_.Attributes.linkinfo.kind', '$_.Attributes.nosuch', '$_.Error.ErrorName', '$_.Family', '$_.Command'
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
        $block = { "$($_.Attributes.ifname)".ToUpper() -eq 'LO' }
        $interpreted = Get-NetlinkMessage -Path $Captures -Filter $block -Verbose -ErrorAction SilentlyContinue 4>&1
        ($interpreted | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message -match 'cannot be compiled' | Should -Not -BeNullOrEmpty
        @($interpreted | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] } | Key) | Should -Be @($All | Where-Object $block | Key)
    }
}
