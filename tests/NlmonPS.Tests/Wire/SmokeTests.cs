using NlmonPS.Decoding;
using NlmonPS.Kernel;
using NlmonPS.Wire;
using Xunit;

namespace NlmonPS.Tests.Wire;

public class SmokeTests
{
    [Fact]
    public void KernelLinkDumpDecodes()
    {
        using var socket = new NetlinkSocket(NetlinkProtocol.Route);
        var request = new MessageBuilder(18, Nl.NLM_F_DUMP).AddBytes(new byte[16]);
        var links = socket.Request(request, "dump links");
        Assert.Contains(links, m => m.TypeName == "RTM_NEWLINK" && (string?)m.Attributes["ifname"] == "lo");
    }

    [Fact]
    public void ModuleImports()
    {
        using var host = new PowerShellHost();
        var r = host.Run("Get-Command -Module NlmonPS | ForEach-Object Name");
        Assert.Null(r.Terminating);
        Assert.Contains(r.Output, o => o.ToString() == "Get-NetlinkMessage");
    }
}
