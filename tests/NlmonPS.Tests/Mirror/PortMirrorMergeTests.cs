using NlmonPS.KernelClients;
using NlmonPS.PortMirroring;
using Xunit;

namespace NlmonPS.Tests.Mirror;

/// <summary>How filters become mirrors (the part of Get-PortMirror that needs no kernel).</summary>
public class PortMirrorMergeTests
{
    private static readonly TcQdisc Clsact = new(4, Tc.ClsactHandle, Tc.TC_H_CLSACT, "clsact");

    private static PortMirrorFilter F(TcHook hook, string kind, ushort prio, uint handle, int[] dests, bool ours = true, ulong packets = 0, uint[]? actions = null, bool owns = false) => new()
    {
        Hook = hook, Kind = kind, Priority = prio, Handle = handle, Protocol = 3,
        DestinationIndexes = dests, Destinations = dests.Select(d => $"if{d}").ToArray(),
        ActionIndexes = actions ?? dests.Select((_, i) => (uint)(handle * 10 + (uint)hook * 100 + (uint)i + 1)).ToArray(),
        Packets = packets, Bytes = packets * 100, CreatedByNlmonPS = ours, QdiscCreatedByNlmonPS = owns,
        Actions = dests.Select(_ => "mirred").ToArray(),
    };

    private static List<PortMirror> Merge(params PortMirrorFilter[] filters) =>
        PortMirrorManager.Merge(Clsact, "va", filters.ToList(), DateTimeOffset.Now).ToList();

    [Fact]
    public void MatchallOnBothHooksIsOneMirror()
    {
        var m = Assert.Single(Merge(F(TcHook.Ingress, "matchall", 1000, 1, new[] { 5 }, packets: 3, owns: true), F(TcHook.Egress, "matchall", 1000, 1, new[] { 5 }, packets: 4)));
        Assert.Equal((PortMirrorDirection.Both, 7UL, 700UL, 1u), (m.Direction, m.Packets, m.Bytes, m.Handle));
        Assert.True(m.QdiscCreatedByNlmonPS);
        Assert.Equal(("va", 4, "clsact"), (m.Source, m.SourceIndex, m.QdiscKind));
    }

    [Fact]
    public void U32OnBothHooksPairsDespiteDifferentTables()
    {
        var m = Assert.Single(Merge(F(TcHook.Ingress, "u32", 1000, 0x80000800, new[] { 5 }), F(TcHook.Egress, "u32", 1000, 0x80100800, new[] { 5 })));
        Assert.Equal(PortMirrorDirection.Both, m.Direction);
        Assert.Equal(new uint[] { 0x80000800, 0x80100800 }, m.Filters.Select(f => f.Handle));
    }

    [Fact]
    public void DifferentShapesStayApart()
    {
        var mirrors = Merge(
            F(TcHook.Ingress, "u32", 7, 0x80000800, new[] { 5 }, ours: false),
            F(TcHook.Egress, "u32", 7, 0x80100800, new[] { 6 }, ours: false),
            F(TcHook.Egress, "matchall", 1000, 1, new[] { 5 }),
            F(TcHook.Ingress, "u32", 8, 0x80200800, new[] { 5 }, ours: false));
        Assert.Equal(4, mirrors.Count);
        Assert.Equal(new ushort[] { 7, 7, 8, 1000 }, mirrors.Select(m => m.Priority));
        Assert.DoesNotContain(mirrors, m => m.Direction == PortMirrorDirection.Both);
    }

    [Fact]
    public void DestinationOrderDoesNotMatterForPairing()
    {
        Assert.Single(Merge(F(TcHook.Ingress, "matchall", 1000, 1, new[] { 5, 6 }), F(TcHook.Egress, "matchall", 1000, 1, new[] { 6, 5 })));
    }

    [Fact]
    public void AnActionSharedByBothHooksIsCountedOnce()
    {
        var m = Assert.Single(Merge(
            F(TcHook.Ingress, "u32", 9, 0x80000800, new[] { 5 }, ours: false, packets: 10, actions: new uint[] { 42 }),
            F(TcHook.Egress, "u32", 9, 0x80100800, new[] { 5 }, ours: false, packets: 10, actions: new uint[] { 42 })));
        Assert.Equal(10UL, m.Packets);
    }
}
