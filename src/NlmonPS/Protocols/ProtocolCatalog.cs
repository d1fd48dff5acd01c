using NlmonPS.Decoding;
using NlmonPS.Protocols.Generic;
using NlmonPS.Protocols.Netfilter;
using NlmonPS.Protocols.Other;
using NlmonPS.Protocols.Route;
using NlmonPS.Protocols.SockDiag;
using NlmonPS.Protocols.Xfrm;

namespace NlmonPS.Protocols;

/// <summary>Every protocol schema the decoder knows. A protocol missing here still decodes, with raw attributes.</summary>
public static class ProtocolCatalog
{
    public static IEnumerable<IProtocolSchema> All => new IProtocolSchema[]
    {
        RouteSchema.Instance,
        UsersockSchema.Instance,
        SockDiagSchema.Instance,
        NflogSchema.Instance,
        XfrmSchema.Instance,
        FibLookupSchema.Instance,
        NetfilterSchema.Instance,
        GenericSchema.Instance,
    };
}

/// <summary>A protocol whose message type number alone picks the layout (rtnetlink, xfrm...).</summary>
public class TypeTableSchema : IProtocolSchema
{
    private readonly Dictionary<ushort, ResolvedMessage> _byType = new();

    protected TypeTableSchema(Wire.NetlinkProtocol protocol) => Protocol = protocol;

    public Wire.NetlinkProtocol Protocol { get; }

    protected void Add(ushort type, MessageSpec spec) => _byType[type] = new ResolvedMessage(spec, 0);

    public virtual ResolvedMessage? Resolve(DecodeContext context, Wire.NetlinkHeader header, ReadOnlySpan<byte> payload, NetlinkDirection direction) =>
        _byType.TryGetValue(header.Type, out var r) ? r : null;

    public string? TypeName(ushort type) => _byType.TryGetValue(type, out var r) ? r.Spec.Name : null;

    public IEnumerable<(ushort Type, string Name)> KnownTypes => _byType.Select(p => (p.Key, p.Value.Spec.Name));
}
