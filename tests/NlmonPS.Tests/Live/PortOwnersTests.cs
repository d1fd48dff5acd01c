using System.Diagnostics;
using NlmonPS.KernelClients;
using NlmonPS.Wire;
using Xunit;

namespace NlmonPS.Tests.Live;

/// <summary>Port id to process, through sock_diag and through /proc/net/netlink.</summary>
public sealed class PortOwnersTests
{
    private static string Comm(int pid) => File.ReadAllText($"/proc/{pid}/comm").TrimEnd('\n');

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void NamesThisProcess(bool sockDiag)
    {
        using var socket = new NetlinkSocket(NetlinkProtocol.Route);
        using var owners = new NetlinkPortOwners(useSockDiag: sockDiag);
        var owner = owners.Resolve(NetlinkProtocol.Route, socket.PortId);
        Assert.NotNull(owner);
        Assert.Equal(Environment.ProcessId, owner.ProcessId);
        Assert.Equal(Comm(Environment.ProcessId), owner.ProcessName);
        Assert.Equal(!sockDiag, owners.UsedProcFallback);
        Assert.Null(owners.Resolve(NetlinkProtocol.Route, 0));
        // Port ids are per protocol: this port is not a generic netlink socket of ours.
        Assert.Null(owners.Resolve(NetlinkProtocol.Xfrm, socket.PortId));
    }

    [Fact]
    public void NamesAnotherProcess()
    {
        var psi = new ProcessStartInfo("ip", new[] { "monitor", "link" }) { RedirectStandardOutput = true };
        using var ip = Process.Start(psi)!;
        try
        {
            using var owners = new NetlinkPortOwners();
            NetlinkPortOwner? owner = null;
            // `ip monitor` binds its rtnetlink socket (port id = its pid, by autobind) right after it starts.
            for (int i = 0; i < 100 && owner is null; i++)
            {
                owner = owners.Resolve(NetlinkProtocol.Route, (uint)ip.Id);
                if (owner is null) Thread.Sleep(50);
            }
            Assert.NotNull(owner);
            Assert.Equal(ip.Id, owner.ProcessId);
            Assert.Equal("ip", owner.ProcessName);
        }
        finally
        {
            ip.Kill();
            ip.WaitForExit();
        }
    }

    [Fact]
    public void ClosedSocketsHaveNoOwner()
    {
        uint port;
        using (var socket = new NetlinkSocket(NetlinkProtocol.Generic)) port = socket.PortId;
        using var owners = new NetlinkPortOwners();
        Assert.Null(owners.Resolve(NetlinkProtocol.Generic, port));
    }
}
