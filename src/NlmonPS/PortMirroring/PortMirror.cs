using System.Text;
using NlmonPS.KernelClients;

namespace NlmonPS.PortMirroring;

/// <summary>Which frames of the source a mirror copies: those it receives, those it sends, or both.</summary>
public enum PortMirrorDirection
{
    Ingress = 1,
    Egress = 2,
    Both = 3,
}

/// <summary>
/// One port mirror: the frames received and/or sent on <see cref="Source"/> are copied out of each of
/// <see cref="Destinations"/>. Built from the filter dumps of the source's clsact (or ingress) qdisc, so mirrors
/// made by hand with tc show up too; <see cref="CreatedByNlmonPS"/> tells the two apart.
/// </summary>
public sealed class PortMirror
{
    public string Source { get; init; } = "";
    public int SourceIndex { get; init; }
    public PortMirrorDirection Direction { get; init; }
    public string[] Destinations { get; init; } = Array.Empty<string>();
    public int[] DestinationIndexes { get; init; } = Array.Empty<int>();
    /// <summary>The classifier: matchall, u32, or whatever a hand-made mirror uses (flower, bpf...).</summary>
    public string FilterKind { get; init; } = "";
    public ushort Priority { get; init; }
    /// <summary>Handle of the (first) filter; the per-hook handles are in <see cref="Filters"/>.</summary>
    public uint Handle { get; init; }
    public uint Chain { get; init; }
    /// <summary>The ethertype the filter matches (host order); 3 (ETH_P_ALL) for every frame.</summary>
    public ushort Protocol { get; init; }
    /// <summary>Frames copied: the statistics of the mirror actions, summed over destinations and hooks.</summary>
    public ulong Packets { get; init; }
    /// <summary>Bytes copied, like <see cref="Packets"/>.</summary>
    public ulong Bytes { get; init; }
    /// <summary>The filters carry NlmonPS's action cookie.</summary>
    public bool CreatedByNlmonPS { get; init; }
    /// <summary>NlmonPS added the clsact qdisc for this mirror (recorded in the cookie): Remove-PortMirror may remove it.</summary>
    public bool QdiscCreatedByNlmonPS { get; init; }
    /// <summary>clsact or ingress.</summary>
    public string QdiscKind { get; init; } = "";
    /// <summary>The filters behind this mirror, one per hook.</summary>
    public PortMirrorFilter[] Filters { get; init; } = Array.Empty<PortMirrorFilter>();
    /// <summary>When the counters were read.</summary>
    public DateTimeOffset Timestamp { get; init; }

    public override string ToString() =>
        $"{Source} -> {string.Join(",", Destinations)} ({Direction}, {FilterKind} prio {Priority})";
}

/// <summary>One tc filter of a port mirror, on one hook.</summary>
public sealed class PortMirrorFilter
{
    public TcHook Hook { get; init; }
    public ushort Priority { get; init; }
    public ushort Protocol { get; init; }
    public uint Handle { get; init; }
    public uint Chain { get; init; }
    public string Kind { get; init; } = "";
    public string[] Destinations { get; init; } = Array.Empty<string>();
    public int[] DestinationIndexes { get; init; } = Array.Empty<int>();
    /// <summary>Every action of the filter in order ("mirred", "gact"...): a hand-made filter may do more than mirror.</summary>
    public string[] Actions { get; init; } = Array.Empty<string>();
    /// <summary>
    /// What the filter does besides mirroring ("gact", "mirred egress redirect to eth1"...): removing the mirror
    /// removes these too, so Remove-PortMirror names them before it does.
    /// </summary>
    public string[] OtherActions { get; init; } = Array.Empty<string>();
    /// <summary>Index of each mirror action (shared actions are counted once).</summary>
    public uint[] ActionIndexes { get; init; } = Array.Empty<uint>();
    public ulong Packets { get; init; }
    public ulong Bytes { get; init; }
    public bool CreatedByNlmonPS { get; init; }
    public bool QdiscCreatedByNlmonPS { get; init; }
    public byte[]? Cookie { get; init; }

    public override string ToString() => $"{Hook} {Kind} prio {Priority} handle 0x{Handle:x}";
}

/// <summary>
/// How NlmonPS marks its filters: every mirred action it adds carries the TC action cookie
/// <c>"nlmonps" 0x01 flags</c> (9 bytes; <c>tc -s filter show</c> prints it as <c>cookie 6e6c6d6f6e70730101</c>).
/// Flag bit 0 records that NlmonPS created the source's clsact qdisc, so Remove-PortMirror knows it may take it
/// away again once nothing else uses it.
/// </summary>
internal static class PortMirrorCookie
{
    public static ReadOnlySpan<byte> Magic => "nlmonps"u8;
    public const byte Version = 1;
    public const byte QdiscCreatedFlag = 0x01;

    public static byte[] Create(bool qdiscCreatedByNlmonPS)
    {
        var cookie = new byte[Magic.Length + 2];
        Magic.CopyTo(cookie);
        cookie[Magic.Length] = Version;
        cookie[Magic.Length + 1] = qdiscCreatedByNlmonPS ? QdiscCreatedFlag : (byte)0;
        return cookie;
    }

    /// <summary>Whether a cookie is NlmonPS's, and what it says about the qdisc.</summary>
    public static bool TryParse(byte[]? cookie, out bool qdiscCreatedByNlmonPS)
    {
        qdiscCreatedByNlmonPS = false;
        if (cookie is null || cookie.Length < Magic.Length || !cookie.AsSpan(0, Magic.Length).SequenceEqual(Magic)) return false;
        if (cookie.Length >= Magic.Length + 2) qdiscCreatedByNlmonPS = (cookie[Magic.Length + 1] & QdiscCreatedFlag) != 0;
        return true;
    }

    public static string ToHex(byte[] cookie)
    {
        var sb = new StringBuilder(cookie.Length * 2);
        foreach (var b in cookie) sb.Append(b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
        return sb.ToString();
    }
}

/// <summary>The kinds of failure the port-mirror cmdlets report, each with its stable error id.</summary>
internal enum PortMirrorErrorKind
{
    /// <summary>PortMirrorDeviceNotFound (ObjectNotFound).</summary>
    DeviceNotFound,
    /// <summary>PortMirrorLoop (InvalidArgument): the destination is the source or leads back to it.</summary>
    Loop,
    /// <summary>PortMirrorPermissionDenied (PermissionDenied): EPERM from the kernel, no CAP_NET_ADMIN.</summary>
    PermissionDenied,
    /// <summary>PortMirrorKernelUnsupported (NotInstalled): the kernel lacks clsact, mirred or both classifiers.</summary>
    KernelMissingFeature,
    /// <summary>PortMirrorKernelUnsupported (NotImplemented): EOPNOTSUPP, e.g. no CONFIG_NET_CLS_ACT.</summary>
    KernelNotImplemented,
    /// <summary>PortMirrorQdiscConflict (ResourceExists): an ingress qdisc where the egress hook is needed.</summary>
    QdiscConflict,
    /// <summary>PortMirrorKernelError (InvalidOperation): any other kernel error, with its extended ACK.</summary>
    KernelError,
}

/// <summary>A port-mirror failure naming its cause and the device it concerns.</summary>
internal sealed class PortMirrorException : Exception
{
    public PortMirrorException(PortMirrorErrorKind kind, string message, string? device, NetlinkKernelException? inner = null)
        : base(message, inner)
    {
        Kind = kind;
        Device = device;
    }

    public PortMirrorErrorKind Kind { get; }
    /// <summary>The device the error is about (the cmdlet's TargetObject).</summary>
    public string? Device { get; }
    /// <summary>The kernel's answer when the error came from the kernel.</summary>
    public Decoding.NetlinkError? KernelError => (InnerException as NetlinkKernelException)?.Error;

    public string ErrorId => Kind switch
    {
        PortMirrorErrorKind.DeviceNotFound => "PortMirrorDeviceNotFound",
        PortMirrorErrorKind.Loop => "PortMirrorLoop",
        PortMirrorErrorKind.PermissionDenied => "PortMirrorPermissionDenied",
        PortMirrorErrorKind.KernelMissingFeature or PortMirrorErrorKind.KernelNotImplemented => "PortMirrorKernelUnsupported",
        PortMirrorErrorKind.QdiscConflict => "PortMirrorQdiscConflict",
        _ => "PortMirrorKernelError",
    };
}
