using System.Management.Automation;
using System.Management.Automation.Runspaces;
using NlmonPS.Cmdlets;
using Xunit;

namespace NlmonPS.Tests.Trace;

/// <summary>The script-block rule: which argv a script block gives, evaluated as PowerShell passes arguments to programs.</summary>
public sealed class NativeCommandLineTests : IDisposable
{
    private readonly Runspace _runspace = RunspaceFactory.CreateRunspace(InitialSessionState.CreateDefault2());

    public NativeCommandLineTests()
    {
        _runspace.Open();
        using var ps = PowerShell.Create();
        ps.Runspace = _runspace;
        ps.AddScript("$dev = 'eth0'; $list = @('a', 'b c'); $none = $null; $empty = ''; $n = 7; $h = @{ k = 'v' }").Invoke();
    }

    private NativeCommandLine Parse(string text)
    {
        IEnumerable<object?> Evaluate(string expression)
        {
            using var ps = PowerShell.Create();
            ps.Runspace = _runspace;
            return ps.AddScript(expression).Invoke().Select(o => (object?)o).ToList();
        }
        CommandInfo? Resolve(string name, CommandTypes types)
        {
            using var ps = PowerShell.Create();
            ps.Runspace = _runspace;
            return ps.AddCommand("Get-Command").AddParameter("Name", name).AddParameter("CommandType", types).AddParameter("ErrorAction", "Ignore").Invoke<CommandInfo>().FirstOrDefault();
        }
        return NativeCommandLine.FromScriptBlock(ScriptBlock.Create(text), Evaluate, Resolve);
    }

    [Theory]
    [InlineData("ip -d link show", "-d|link|show")]
    [InlineData("ip link add bad0 type ipvlan mode l3", "link|add|bad0|type|ipvlan|mode|l3")]
    [InlineData("ip addr add 10.9.0.1/24 dev lo", "addr|add|10.9.0.1/24|dev|lo")]
    [InlineData("ip -4 -o addr", "-4|-o|addr")]
    [InlineData("ip --json link", "--json|link")]
    [InlineData("ip -j link", "-j|link")]
    [InlineData("sh -c 'ip link; ip addr'", "-c|ip link; ip addr")]
    [InlineData("sh -c \"echo $dev\"", "-c|echo eth0")]
    [InlineData("ip link show dev $dev", "link|show|dev|eth0")]
    [InlineData("ip $list", "a|b c")]
    [InlineData("ip x $none y", "x|y")]
    [InlineData("ip x $empty y", "x||y")]
    [InlineData("ip @list", "a|b c")]
    [InlineData("ip @h", "-k:v")]
    [InlineData("ip a,b", "a,b")]
    [InlineData("ip $($n + 1) ($n * 2)", "8|14")]
    [InlineData("ip 0x10 1e3", "0x10|1e3")]
    [InlineData("ip -x:$dev", "-x:eth0")]
    [InlineData("ip 'it''s'", "it's")]
    [InlineData("ip `$dev", "$dev")]
    [InlineData("& 'ip' link", "link")]
    public void Arguments(string text, string argv)
    {
        Assert.Equal(argv.Split('|'), Parse(text).Arguments);
    }

    [Fact]
    public void ProgramFromAVariableOrAPath()
    {
        Assert.Equal("/usr/bin/env", Parse("& '/usr/bin/env' x").Program);
        Assert.Equal("./relative/prog", Parse("./relative/prog x").Program);
        Assert.Null(Parse("./relative/prog x").ResolvedPath);
        var line = Parse("& (Get-Command sh) -c x");
        Assert.Equal(new[] { "-c", "x" }, line.Arguments);
        Assert.EndsWith("/sh", line.Program);
    }

    [Fact]
    public void NamesResolveToThePathPowerShellWouldRun()
    {
        var line = Parse("sh -c x");
        Assert.Equal("sh", line.Program);
        Assert.True(line.ResolvedPath is not null && line.ResolvedPath.EndsWith("/sh", StringComparison.Ordinal) && File.Exists(line.ResolvedPath));
        Assert.Null(Parse("no-such-program-nlmonps x").ResolvedPath);
    }

    [Theory]
    [InlineData("ip", "ip")]
    [InlineData("ip link show dev eth0", "ip link show dev eth0")]
    [InlineData("sh -c 'ip link; ip addr'", "sh -c 'ip link; ip addr'")]
    [InlineData("ip x $empty", "ip x ''")]
    [InlineData("ip \"it's\"", "ip 'it'\\''s'")]
    public void DisplayedAsAShellWouldReadIt(string text, string display) => Assert.Equal(display, Parse(text).ToString());

    [Theory]
    [InlineData("ip link | grep UP", "sh -c 'ip link | grep UP'")]
    [InlineData("ip link > out.txt", "sh -c 'ip link > out.txt'")]
    [InlineData("ip link; echo 'done'", "sh -c 'ip link; echo ''done'''")]
    public void AShellCommandLineIsRefusedWithItsOwnShellForm(string text, string hint)
    {
        var e = Assert.Throws<NativeCommandLineException>(() => Parse(text));
        Assert.Contains($"Trace-NetlinkCommand {{ {hint} }}", e.Message);
    }

    [Fact]
    public void EveryArgumentButAQuotedStringIsExpanded()
    {
        // As pwsh on Unix: barewords, variables' values and -name:value values expand; quoted strings do not.
        IReadOnlyList<string>? Expand(string word) => word == "*.conf" ? new[] { "a.conf", "b.conf" } : word == "~" ? new[] { "/home/u" } : null;
        var line = NativeCommandLine.FromScriptBlock(ScriptBlock.Create("printf x *.conf '*.conf' \"*.conf\" $dev -o:~ ~"), _ => new object?[] { "*.conf" }, (_, _) => null, Expand);
        Assert.Equal(new[] { "x", "a.conf", "b.conf", "*.conf", "*.conf", "a.conf", "b.conf", "-o:/home/u", "/home/u" }, line.Arguments);
    }

    [Fact]
    public void AnUnquotedWordWithAVariableIsAStringNotAnExpression()
    {
        Assert.Equal(new[] { "eth0/x", "a-eth0" }, Parse("printf $dev/x a-$dev").Arguments);
    }

    public void Dispose() => _runspace.Dispose();
}
