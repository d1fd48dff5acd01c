using NlmonPS.Decoding;
using NlmonPS.Wire;
using static NlmonPS.Decoding.ValueKind;

namespace NlmonPS.Protocols.Xfrm;

/// <summary>NETLINK_XFRM (linux/xfrm.h): IPsec states and policies, what `ip xfrm` talks to.</summary>
internal sealed class XfrmSchema : TypeTableSchema
{
    private const ushort GetSa = 18, GetPolicy = 21;

    // Dump requests for states and policies carry no family header: the kernel parses their attributes (an
    // address filter, a protocol) from the start of the payload.
    private readonly ResolvedMessage _dumpSa, _dumpPolicy;

    /// <summary>Where each family header keeps its AF_* (a u16), and the same layout for AF_INET messages.</summary>
    private readonly Dictionary<ushort, (int FamilyOffset, ResolvedMessage Inet)> _inet = new();

    private XfrmSchema() : base(NetlinkProtocol.Xfrm)
    {
        var attrs = XfrmTables.Attributes;
        void Msg(ushort type, string name, MessageKind kind, StructSpec? header, Func<NetlinkMessage, string?> summary, AttributeTable? table = null)
        {
            Add(type, new MessageSpec(name, kind) { Header = header, Attributes = table ?? attrs, Summary = summary });
            if (table is null && header is not null && FamilyOffset(header) is int at)
                _inet[type] = (at, new ResolvedMessage(new MessageSpec(name, kind) { Header = header, Attributes = XfrmTables.AttributesInet, Summary = summary }, 0));
        }

        Msg(16, "XFRM_MSG_NEWSA", MessageKind.New, XfrmStructs.UsersaInfo, XfrmSummaries.State);
        Msg(17, "XFRM_MSG_DELSA", MessageKind.Delete, XfrmStructs.UsersaId, XfrmSummaries.StateId);
        Msg(GetSa, "XFRM_MSG_GETSA", MessageKind.Get, XfrmStructs.UsersaId, XfrmSummaries.StateId);
        Msg(19, "XFRM_MSG_NEWPOLICY", MessageKind.New, XfrmStructs.UserpolicyInfo, XfrmSummaries.Policy);
        Msg(20, "XFRM_MSG_DELPOLICY", MessageKind.Delete, XfrmStructs.UserpolicyId, XfrmSummaries.PolicyId);
        Msg(GetPolicy, "XFRM_MSG_GETPOLICY", MessageKind.Get, XfrmStructs.UserpolicyId, XfrmSummaries.PolicyId);
        Msg(22, "XFRM_MSG_ALLOCSPI", MessageKind.New, XfrmStructs.UserspiInfo, XfrmSummaries.AllocSpi);
        Msg(23, "XFRM_MSG_ACQUIRE", MessageKind.Other, XfrmStructs.UserAcquire, XfrmSummaries.Acquire);
        Msg(24, "XFRM_MSG_EXPIRE", MessageKind.Other, XfrmStructs.UserExpire, XfrmSummaries.Expire);
        Msg(25, "XFRM_MSG_UPDPOLICY", MessageKind.New, XfrmStructs.UserpolicyInfo, XfrmSummaries.Policy);
        Msg(26, "XFRM_MSG_UPDSA", MessageKind.New, XfrmStructs.UsersaInfo, XfrmSummaries.State);
        Msg(27, "XFRM_MSG_POLEXPIRE", MessageKind.Other, XfrmStructs.UserPolexpire, XfrmSummaries.PolicyExpire);
        Msg(28, "XFRM_MSG_FLUSHSA", MessageKind.Delete, XfrmStructs.UsersaFlush, XfrmSummaries.FlushSa);
        Msg(29, "XFRM_MSG_FLUSHPOLICY", MessageKind.Delete, null, XfrmSummaries.FlushPolicy);
        Msg(30, "XFRM_MSG_NEWAE", MessageKind.New, XfrmStructs.AeventId, XfrmSummaries.Aevent);
        Msg(31, "XFRM_MSG_GETAE", MessageKind.Get, XfrmStructs.AeventId, XfrmSummaries.Aevent);
        Msg(32, "XFRM_MSG_REPORT", MessageKind.Other, XfrmStructs.UserReport, XfrmSummaries.Report);
        Msg(33, "XFRM_MSG_MIGRATE", MessageKind.Other, XfrmStructs.UserpolicyId, XfrmSummaries.PolicyId);
        Msg(34, "XFRM_MSG_NEWSADINFO", MessageKind.New, XfrmStructs.InfoFlags, XfrmSummaries.SadInfo, XfrmTables.SadInfo);
        Msg(35, "XFRM_MSG_GETSADINFO", MessageKind.Get, XfrmStructs.InfoFlags, XfrmSummaries.SadInfo, XfrmTables.SadInfo);
        Msg(36, "XFRM_MSG_NEWSPDINFO", MessageKind.New, XfrmStructs.InfoFlags, XfrmSummaries.SpdInfo, XfrmTables.SpdInfo);
        Msg(37, "XFRM_MSG_GETSPDINFO", MessageKind.Get, XfrmStructs.InfoFlags, XfrmSummaries.SpdInfo, XfrmTables.SpdInfo);
        Msg(38, "XFRM_MSG_MAPPING", MessageKind.Other, XfrmStructs.UserMapping, XfrmSummaries.Mapping);
        Msg(39, "XFRM_MSG_SETDEFAULT", MessageKind.New, XfrmStructs.UserpolicyDefault, XfrmSummaries.Default);
        Msg(40, "XFRM_MSG_GETDEFAULT", MessageKind.Get, XfrmStructs.UserpolicyDefault, XfrmSummaries.Default);

        _dumpSa = new ResolvedMessage(new MessageSpec("XFRM_MSG_GETSA", MessageKind.Get) { Attributes = attrs, Summary = XfrmSummaries.Dump }, 0);
        _dumpPolicy = new ResolvedMessage(new MessageSpec("XFRM_MSG_GETPOLICY", MessageKind.Get) { Attributes = attrs, Summary = XfrmSummaries.Dump }, 0);
    }

    public override ResolvedMessage? Resolve(DecodeContext context, NetlinkHeader header, ReadOnlySpan<byte> payload, NetlinkDirection direction)
    {
        if ((header.Flags & Nl.NLM_F_DUMP) == Nl.NLM_F_DUMP && direction != NetlinkDirection.FromKernel)
        {
            if (header.Type == GetSa) return _dumpSa;
            if (header.Type == GetPolicy) return _dumpPolicy;
        }
        if (_inet.TryGetValue(header.Type, out var inet) && payload.Length >= inet.FamilyOffset + 2
            && Endian.U16(payload[inet.FamilyOffset..], context.Order) == 2)
            return inet.Inet;
        return base.Resolve(context, header, payload, direction);
    }

    /// <summary>The offset of a header's "family" field, or of its selector's ("sel.family"), or of its state's.</summary>
    private static int? FamilyOffset(StructSpec header)
    {
        foreach (var path in new[] { "family", "sel.family", "state.family", "info.family", "pol.sel.family" })
        {
            int offset = 0;
            var spec = header;
            FieldSpec? field = null;
            foreach (var part in path.Split('.'))
            {
                field = spec?.FieldNamed(part);
                if (field is null) break;
                offset += field.Offset;
                spec = field.Struct;
            }
            if (field is { Kind: U16 }) return offset;
        }
        return null;
    }

    // Last: static fields initialise in textual order, and the constructor uses the ones above.
    public static readonly XfrmSchema Instance = new();
}
