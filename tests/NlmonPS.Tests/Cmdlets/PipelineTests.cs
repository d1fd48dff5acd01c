using System.Diagnostics;
using System.Management.Automation;
using NlmonPS.Decoding;
using Xunit;

namespace NlmonPS.Tests.Cmdlets;

/// <summary>Real pipelines through the hosted engine with the module imported from out/NlmonPS.</summary>
public sealed class PipelineTests : IDisposable
{
    private readonly PowerShellHost _host = new();
    private readonly string _dir = Directory.CreateTempSubdirectory("nlmonps-test-").FullName;
    private static string Kernel => NlmonPS.Tests.Wire.KernelFixtureRecorder.FixturePath;

    /// <summary>The fixture holds one deliberately malformed request (bad1's 2-byte linkinfo nest); anything else is a failure.</summary>
    private static void OnlyTheKnownBadRequest(PowerShellHost.Result r) =>
        Assert.All(r.Errors, e => Assert.Equal("bad1", ((NetlinkMessage)e.TargetObject).Attributes["ifname"]));

    private PowerShellHost.Result Run(string script) =>
        _host.Run(script, new Dictionary<string, object?> { ["src"] = Kernel, ["dir"] = _dir });

    [Fact]
    public void FilterByAttributeAndExport()
    {
        var r = Run("Get-NetlinkMessage -Path $src | Where-Object { $_.Attributes.ifname -eq 'd0' } | Export-NetlinkPcap -Path \"$dir/d0.pcap\"; Get-NetlinkMessage -Path \"$dir/d0.pcap\"");
        Assert.Null(r.Terminating);
        OnlyTheKnownBadRequest(r);
        var messages = r.Output.Select(o => (NetlinkMessage)o.BaseObject).ToList();
        Assert.Equal(2, messages.Count);   // the dump reply about d0, and the failing request to add d0 again
        Assert.All(messages, m => Assert.Equal("d0", m.Attributes["ifname"]));
    }

    [Fact]
    public void RoundTripKeepsEveryRecordByteForByte()
    {
        var r = Run("Get-NetlinkMessage -Path $src | Export-NetlinkPcap -Path \"$dir/copy.pcap\"");
        Assert.Null(r.Terminating);
        OnlyTheKnownBadRequest(r);
        var original = Fixtures.ReadNetlinkPcap(Kernel).ToList();
        var copy = Fixtures.ReadNetlinkPcap(Path.Combine(_dir, "copy.pcap")).ToList();
        Assert.Equal(original.Count, copy.Count);
        foreach (var (a, b) in original.Zip(copy))
        {
            Assert.Equal(a.Protocol, b.Protocol);
            Assert.Equal(a.Data.ToArray(), b.Data.ToArray());
            Assert.Equal(a.Timestamp, b.Timestamp);
        }
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_dir, "copy.pcap")));
    }

    [Fact]
    public void TsharkReadsTheExportWithoutMalformedFrames()
    {
        var tshark = new[] { "/usr/bin/tshark", "/usr/local/bin/tshark" }.FirstOrDefault(File.Exists);
        Assert.True(tshark is not null, "tshark is installed (.ci/run installs it): the export must open in Wireshark's dissector");
        Assert.Null(Run("Get-NetlinkMessage -Path $src | Export-NetlinkPcap -Path \"$dir/t.pcap\"").Terminating);
        var psi = new ProcessStartInfo(tshark!, new[] { "-r", Path.Combine(_dir, "t.pcap"), "-V" }) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.Environment["HOME"] = _dir;
        using var p = Process.Start(psi)!;
        var text = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
        Assert.Contains("Encapsulation type: Linux Netlink", text);
        Assert.Contains("Netlink message header (type: Create network interface)", text);
        Assert.DoesNotContain("Malformed", text, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void FiltersRunInsideTheReader()
    {
        var r = Run("Get-NetlinkMessage -Path $src -MessageType RTM_NEWADDR, NLMSG_DONE -Protocol Route");
        Assert.All(r.Output, o => Assert.Contains(((NetlinkMessage)o.BaseObject).TypeName, new[] { "RTM_NEWADDR", "NLMSG_DONE" }));
        Assert.Equal(6, r.Output.Count);
        Assert.Equal(3, Run("Get-NetlinkMessage -Path $src -Count 3").Output.Count);
        Assert.Equal(3, Run("Get-NetlinkMessage -Path $src -MessageType CTRL_CMD_* -Protocol Generic").Output.Count);
        Assert.Empty(Run("Get-NetlinkMessage -Path $src -Protocol Xfrm").Output);
    }

    [Theory]
    [InlineData("ETHTOOL_MSG_*")]
    [InlineData("mptcp_pm*")]
    [InlineData("CTRL_CMD_NEWFAMILY")]
    [InlineData("RTM_NEWADDR")]
    [InlineData("*unknown*")]
    public void MessageTypeOnGenericFamiliesMatchesWhereObject(string pattern)
    {
        // Generic messages are skipped undecoded when no pattern can match their family: the result must be
        // exactly what filtering every decoded message gives.
        var files = string.Join(", ", new[] { "genl-ethtool-lo.pcap", "genl-devlink.pcap", "genl-ctrl-list.pcap", "genl-mptcp.pcap" }
            .Select(f => $"'{Path.Combine(Path.GetDirectoryName(Kernel)!, f)}'"));
        var filtered = Run($"Get-NetlinkMessage -Path {files} -MessageType '{pattern}' | ForEach-Object {{ \"$($_.RecordNumber)/$($_.Index)\" }}");
        var everything = Run($"Get-NetlinkMessage -Path {files} | Where-Object {{ $_.TypeName -like '{pattern}' -or $_.Command -like '{pattern}' }} | ForEach-Object {{ \"$($_.RecordNumber)/$($_.Index)\" }}");
        Assert.Equal(everything.Output.Select(o => o.ToString()), filtered.Output.Select(o => o.ToString()));
        if (pattern is not ("RTM_NEWADDR" or "*unknown*")) Assert.NotEmpty(filtered.Output);
    }

    [Fact]
    public void PathsComeFromThePipelineAndWildcards()
    {
        File.Copy(Kernel, Path.Combine(_dir, "a.pcap"));
        File.Copy(Kernel, Path.Combine(_dir, "b.pcap"));
        int one = Run("Get-NetlinkMessage -Path $src").Output.Count;
        Assert.Equal(2 * one, Run("Get-NetlinkMessage -Path \"$dir/*.pcap\"").Output.Count);
        Assert.Equal(2 * one, Run("\"$dir/a.pcap\", \"$dir/b.pcap\" | Get-NetlinkMessage").Output.Count);
        Assert.Equal(one, Run("Get-NetlinkMessage -LiteralPath \"$dir/a.pcap\"").Output.Count);
    }

    [Fact]
    public void ExportHonoursNoClobberAppendAndWhatIf()
    {
        var target = Path.Combine(_dir, "x.pcap");
        Assert.Null(Run("Get-NetlinkMessage -Path $src -Count 2 | Export-NetlinkPcap -Path \"$dir/x.pcap\" -WhatIf").Terminating);
        Assert.False(File.Exists(target));
        Run("Get-NetlinkMessage -Path $src -Count 2 | Export-NetlinkPcap -Path \"$dir/x.pcap\"");
        var clobber = Run("Get-NetlinkMessage -Path $src -Count 2 | Export-NetlinkPcap -Path \"$dir/x.pcap\" -NoClobber");
        Assert.Contains(clobber.Errors, e => e.FullyQualifiedErrorId.StartsWith("NetlinkPcapFileExists,", StringComparison.Ordinal));
        Assert.Equal(2, Run("Get-NetlinkMessage -Path \"$dir/x.pcap\"").Output.Count);
        Run("Get-NetlinkMessage -Path $src -Count 3 | Export-NetlinkPcap -Path \"$dir/x.pcap\" -Append");
        Assert.Equal(5, Run("Get-NetlinkMessage -Path \"$dir/x.pcap\"").Output.Count);
        var passThru = Run("Get-NetlinkMessage -Path $src -Count 4 | Export-NetlinkPcap -Path \"$dir/y.pcap\" -PassThru");
        Assert.Equal(4, passThru.Output.Count);
    }

    [Fact]
    public void StoppingThePipelineReleasesTheFile()
    {
        using var host = new PowerShellHost();
        using var ps = PowerShell.Create();
        ps.Runspace = host.Runspace;
        ps.AddScript("Get-NetlinkMessage -Path $args[0]").AddArgument(Kernel);
        var output = new PSDataCollection<PSObject>();
        int seen = 0;
        output.DataAdded += (_, _) => { if (Interlocked.Increment(ref seen) == 1) ps.BeginStop(null, null); };
        var handle = ps.BeginInvoke<PSObject, PSObject>(null, output);
        Assert.True(handle.AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(30)));
        Assert.Equal(PSInvocationState.Stopped, ps.InvocationStateInfo.State);
        Assert.True(seen < Fixtures.ReadNetlinkPcap(Kernel).Count() * 2);
        var open = Directory.GetFiles("/proc/self/fd").Select(f => { try { return new FileInfo(f).LinkTarget; } catch (IOException) { return null; } });
        Assert.DoesNotContain(Kernel, open);
    }

    public void Dispose()
    {
        _host.Dispose();
        Directory.Delete(_dir, true);
    }
}
