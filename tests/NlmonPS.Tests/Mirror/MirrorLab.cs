using NlmonPS.KernelClients;
using NlmonPS.PortMirroring;

namespace NlmonPS.Tests.Mirror;

/// <summary>
/// The test bench: a namespace with veth pairs va/va-peer (the source), vm/vm-peer (the destination) and
/// vb/vb-peer (a second device), all up, and ways to send frames through va both ways and catch copies on vm-peer.
/// Made and used on the namespace thread (see <see cref="Run"/>).
/// </summary>
public sealed class MirrorLab : IDisposable
{
    private readonly List<IDisposable> _owned = new();

    private MirrorLab(NetNamespace ns)
    {
        Ns = ns;
        Shell = Own(new PowerShellHost(onThisThread: true));
    }

    public NetNamespace Ns { get; }
    public PowerShellHost Shell { get; }

    /// <summary>Sets up the namespace and links, then runs the body on the namespace thread.</summary>
    public static void Run(Action<MirrorLab> body, bool withShell = true)
    {
        using var ns = new NetNamespace();
        ns.AddVeth("va", "va-peer");
        ns.AddVeth("vm", "vm-peer");
        ns.AddVeth("vb", "vb-peer");
        ns.Run(() =>
        {
            using var lab = new MirrorLab(ns);
            body(lab);
        });
    }

    private T Own<T>(T d) where T : IDisposable { _owned.Add(d); return d; }

    public int Index(string device) => Ns.IndexOf(device);

    /// <summary>A packet socket on a device of the namespace (opened on the namespace thread).</summary>
    public PacketSocket Socket(string device) => Own(new PacketSocket(Index(device)));

    /// <summary>
    /// Sends <paramref name="count"/> frames into va (injected on va-peer: va receives them) tagged
    /// "in:batch:N" and as many out of va tagged "out:batch:N", and returns the tags that arrive on
    /// <paramref name="capture"/>'s device, sorted.
    /// </summary>
    public List<string> SendBothWays(PacketSocket capture, int count, string batch)
    {
        capture.Drain();
        using var peer = new PacketSocket(Index("va-peer"));
        using var source = new PacketSocket(Index("va"));
        for (int i = 0; i < count; i++)
        {
            peer.Send(PacketSocket.TestFrame($"in:{batch}:{i}"));
            source.Send(PacketSocket.TestFrame($"out:{batch}:{i}"));
        }
        return capture.ReceiveTags().Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>The sorted tags <see cref="SendBothWays"/> sends for the given directions ("in", "out").</summary>
    public static List<string> Tags(string batch, int count, params string[] directions) =>
        directions.SelectMany(d => Enumerable.Range(0, count).Select(i => $"{d}:{batch}:{i}")).Order(StringComparer.Ordinal).ToList();

    /// <summary>A manager on the namespace thread, for typed checks next to the cmdlets.</summary>
    internal PortMirrorManager Manager() => Own(new PortMirrorManager());

    internal List<TcQdisc> Qdiscs(string device)
    {
        using var m = new PortMirrorManager();
        return m.Client.DumpQdiscs(Index(device));
    }

    public bool HasClsact(string device) => Qdiscs(device).Any(q => q.Kind == "clsact");

    public void Dispose()
    {
        for (int i = _owned.Count - 1; i >= 0; i--) _owned[i].Dispose();
    }
}
