using NlmonPS.Decoding;
using NlmonPS.Protocols.Generic;
using NlmonPS.Protocols.Netfilter;
using NlmonPS.Protocols.Other;
using NlmonPS.Protocols.Route;
using NlmonPS.Protocols.SockDiag;
using NlmonPS.Protocols.Xfrm;

namespace NlmonPS.Protocols;

/// <summary>Every protocol schema the decoder knows. A protocol missing here still decodes, with raw attributes.</summary>
internal static class ProtocolCatalog
{
    // Hands the catalog to the engine below (Decoding.Schemas) before any code of the module runs; the tables
    // themselves are still built on first use. (CA2255 warns libraries off module initializers: this one only
    // stores a delegate.)
#pragma warning disable CA2255
    [System.Runtime.CompilerServices.ModuleInitializer]
#pragma warning restore CA2255
    internal static void Register() => Schemas.Catalog = () => All;

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
internal class TypeTableSchema : IProtocolSchema
{
    // Indexed by type (protocols number their messages from 16 up to a few hundred): every message looks here.
    private ResolvedMessage?[] _byType = Array.Empty<ResolvedMessage?>();

    protected TypeTableSchema(Wire.NetlinkProtocol protocol) => Protocol = protocol;

    public Wire.NetlinkProtocol Protocol { get; }

    protected void Add(ushort type, MessageSpec spec)
    {
        if (type >= _byType.Length) Array.Resize(ref _byType, type + 1);
        _byType[type] = new ResolvedMessage(spec, 0);
    }

    private ResolvedMessage? Of(ushort type) => type < _byType.Length ? _byType[type] : null;

    public virtual ResolvedMessage? Resolve(DecodeContext context, Wire.NetlinkHeader header, ReadOnlySpan<byte> payload, NetlinkDirection direction) =>
        Of(header.Type);

    public string? TypeName(ushort type) => Of(type)?.Spec.Name;

    /// <summary>The layout of a type, when the type alone decides it (no subclass resolves by payload): what a
    /// -Filter's requirements are judged against before decoding.</summary>
    internal MessageSpec? SpecByTypeAlone(ushort type) => ResolvesByTypeAlone ? Of(type)?.Spec : null;

    internal bool ResolvesByTypeAlone => _byTypeAlone ??= GetType().GetMethod(nameof(Resolve))!.DeclaringType == typeof(TypeTableSchema);
    private bool? _byTypeAlone;

    public IEnumerable<(ushort Type, string Name)> KnownTypes =>
        _byType.Select((r, type) => (Type: (ushort)type, r)).Where(p => p.r is not null).Select(p => (p.Type, p.r!.Spec.Name));
}
