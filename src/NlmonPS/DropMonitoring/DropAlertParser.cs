using System.Globalization;
using NlmonPS.Decoding;
using NlmonPS.KernelClients;
using NlmonPS.Wire;

namespace NlmonPS.DropMonitoring;

/// <summary>What parsing an alert needs besides its bytes: names for devices and addresses, the session's clock.</summary>
internal sealed class DropAlertContext
{
    /// <summary>The kernel symbol table, asked for only when an alert carries an address without a symbol.</summary>
    public Func<KernelSymbols?>? Symbols { get; init; }
    /// <summary>Reading a saved capture: the functions its packet alerts named so far (summary alerts' addresses are named by them).</summary>
    public CaptureSymbols? SeenInCapture { get; init; }
    /// <summary>Interface index to device (the namespace of the command, or -NetNamespace).</summary>
    public Func<int, InterfaceInfo?>? Interfaces { get; init; }
    public string? NetNamespace { get; init; }
    public DateTimeOffset ReceivedAt { get; init; } = DateTimeOffset.Now;
    public long RecordNumber { get; init; }
    /// <summary>Summary mode: the time the alert covers (since the previous one).</summary>
    public TimeSpan Interval { get; init; }
}

/// <summary>
/// Reads NET_DM alerts from their raw bytes with the one attribute walker: NET_DM_CMD_PACKET_ALERT into
/// <see cref="PacketDrop"/>, NET_DM_CMD_ALERT into <see cref="DropSummary"/> (software: a struct net_dm_alert_msg
/// wrapped in an attribute of type 0; hardware: NET_DM_ATTR_HW_ENTRIES). Never throws on bad bytes.
/// </summary>
internal static class DropAlertParser
{
    /// <summary>The alerts of one datagram from the "events" group (other messages are skipped).</summary>
    public static List<object> ParseDatagram(ReadOnlyMemory<byte> datagram, GenericNetlinkFamily family, DropAlertContext context)
    {
        var result = new List<object>();
        foreach (var raw in NetlinkMessageSplitter.Split(datagram, Endian.Host))
        {
            if (raw.IsMalformed || raw.Header.Type != family.Id || raw.Bytes.Length <= Nl.HeaderLength) continue;
            var bytes = raw.Bytes.ToArray();
            switch (bytes[Nl.HeaderLength])
            {
                case NetDm.NET_DM_CMD_PACKET_ALERT:
                    result.Add(ParsePacketAlert(bytes, Endian.Host, family.Id, context, family.HeaderSize));
                    break;
                case NetDm.NET_DM_CMD_ALERT:
                    result.AddRange(ParseSummaryAlert(bytes, Endian.Host, family.Id, context, family.HeaderSize));
                    break;
            }
        }
        return result;
    }

    public static PacketDrop ParsePacketAlert(byte[] bytes, ByteOrder order, ushort familyId, DropAlertContext context, uint headerSize = 0)
    {
        var attributes = GenericNetlinkClient.Attributes(bytes, order, headerSize);
        DropOrigin origin = DropOrigin.Software;
        ulong? pc = null, timestamp = null;
        string? symbol = null, reason = null, trapGroup = null, trapName = null, portName = null;
        int? ifindex = null;
        uint? originalLength = null;
        ushort protocol = 0;
        byte[] payload = Array.Empty<byte>();
        byte[]? cookie = null;
        foreach (var a in attributes)
        {
            var p = a.Payload.Span;
            switch (a.Type)
            {
                case NetDm.NET_DM_ATTR_ORIGIN when p.Length >= 2: origin = Endian.U16(p, order) == NetDm.NET_DM_ORIGIN_HW ? DropOrigin.Hardware : DropOrigin.Software; break;
                case NetDm.NET_DM_ATTR_PC when p.Length >= 8: pc = Endian.U64(p, order); break;
                case NetDm.NET_DM_ATTR_SYMBOL: symbol = GenericNetlinkClient.String(p); break;
                case NetDm.NET_DM_ATTR_REASON: reason = GenericNetlinkClient.String(p); break;
                case NetDm.NET_DM_ATTR_TIMESTAMP when p.Length >= 8: timestamp = Endian.U64(p, order); break;
                case NetDm.NET_DM_ATTR_ORIG_LEN when p.Length >= 4: originalLength = Endian.U32(p, order); break;
                case NetDm.NET_DM_ATTR_PROTO when p.Length >= 2: protocol = Endian.U16(p, order); break;
                case NetDm.NET_DM_ATTR_PAYLOAD: payload = p.ToArray(); break;
                case NetDm.NET_DM_ATTR_HW_TRAP_GROUP_NAME: trapGroup = GenericNetlinkClient.String(p); break;
                case NetDm.NET_DM_ATTR_HW_TRAP_NAME: trapName = GenericNetlinkClient.String(p); break;
                case NetDm.NET_DM_ATTR_FLOW_ACTION_COOKIE: cookie = p.ToArray(); break;
                case NetDm.NET_DM_ATTR_IN_PORT:
                    var port = GenericNetlinkClient.Walk(a.Payload, order);
                    if (GenericNetlinkClient.U32(port, NetDm.NET_DM_ATTR_PORT_NETDEV_IFINDEX, order) is uint index) ifindex = (int)index;
                    if (GenericNetlinkClient.Find(port, NetDm.NET_DM_ATTR_PORT_NETDEV_NAME) is { } name) portName = GenericNetlinkClient.String(name.Payload.Span);
                    break;
            }
        }

        // The symbol comes as %pS ("__udp4_lib_rcv+0x9a2/0xc30"); resolve the address ourselves when it does not.
        string? location = symbol, function = FunctionOf(symbol);
        if (location is not null && pc is { } named) context.SeenInCapture?.Learn(named, location);
        if (location is null && pc is { } address && origin == DropOrigin.Software)
        {
            var symbols = context.Symbols?.Invoke();
            if ((symbols?.Resolve(address) ?? context.SeenInCapture?.Resolve(address)) is { } resolved) { location = resolved.Location; function = resolved.Name; }
            else location = $"0x{address:x}";
        }
        if (origin == DropOrigin.Hardware && location is null && (trapGroup is not null || trapName is not null))
            location = trapGroup is null ? trapName : $"{trapGroup}/{trapName}";

        var device = ifindex is { } i ? context.Interfaces?.Invoke(i) : null;
        var decoded = DroppedPacketDecoder.Decode(payload, protocol, (int)(originalLength ?? (uint)payload.Length), origin == DropOrigin.Hardware);
        var when = timestamp is { } ns ? DateTimeOffset.UnixEpoch.AddTicks((long)(ns / 100)) : context.ReceivedAt;
        return new PacketDrop
        {
            Timestamp = when,
            TimestampNs = timestamp ?? (ulong)(context.ReceivedAt - DateTimeOffset.UnixEpoch).Ticks * 100,
            Origin = origin,
            Location = location,
            Symbol = function,
            Pc = pc,
            Reason = reason,
            InterfaceIndex = ifindex,
            InterfaceName = portName ?? device?.Name,
            InterfaceType = device?.HardwareType,
            NetNamespace = context.NetNamespace,
            Protocol = protocol,
            ProtocolName = EtherTypeNames.NameOf(protocol),
            Length = payload.Length,
            OriginalLength = (int)(originalLength ?? (uint)payload.Length),
            Packet = payload,
            NetworkOffset = decoded.NetworkOffset,
            LinkLayer = decoded.LinkLayer,
            SourceAddress = decoded.SourceAddress,
            DestinationAddress = decoded.DestinationAddress,
            TransportProtocol = decoded.TransportProtocol,
            SourcePort = decoded.SourcePort,
            DestinationPort = decoded.DestinationPort,
            PacketSummary = decoded.Summary,
            ParsedPacket = decoded.Parsed,
            SourceHardwareAddress = decoded.SourceHardwareAddress,
            HardwareTrapGroup = trapGroup,
            HardwareTrapName = trapName,
            FlowActionCookie = cookie,
            ReceivedAt = context.ReceivedAt,
            FamilyId = familyId,
            Bytes = bytes,
            RecordNumber = context.RecordNumber,
            ByteOrder = order,
        };
    }

    public static List<DropSummary> ParseSummaryAlert(byte[] bytes, ByteOrder order, ushort familyId, DropAlertContext context, uint headerSize = 0)
    {
        var list = new List<DropSummary>();
        var attributes = GenericNetlinkClient.Attributes(bytes, order, headerSize);
        KernelSymbols? symbols = null;
        bool symbolsAsked = false;
        DropSummary Point(ulong pc, uint count)
        {
            if (!symbolsAsked) { symbols = context.Symbols?.Invoke(); symbolsAsked = true; }
            var resolved = symbols?.Resolve(pc) ?? context.SeenInCapture?.Resolve(pc);
            return new DropSummary
            {
                Timestamp = context.ReceivedAt, Origin = DropOrigin.Software, Location = resolved?.Location ?? $"0x{pc:x}", Symbol = resolved?.Name,
                Pc = pc, Count = count, Interval = context.Interval, Index = list.Count,
                FamilyId = familyId, Bytes = bytes, RecordNumber = context.RecordNumber, ByteOrder = order,
            };
        }
        foreach (var a in attributes)
        {
            if (a.Type == NetDm.NET_DM_ATTR_UNSPEC)
            {
                // struct net_dm_alert_msg { u32 entries; struct net_dm_drop_point points[entries]; }, pc in host order.
                var p = a.Payload.Span;
                if (p.Length < 4) continue;
                uint entries = Endian.U32(p, order);
                for (int i = 0; i < entries && 4 + (i + 1) * NetDm.DropPointSize <= p.Length; i++)
                {
                    var point = p.Slice(4 + i * NetDm.DropPointSize, NetDm.DropPointSize);
                    list.Add(Point(Endian.U64(point, order), Endian.U32(point[8..], order)));
                }
            }
            else if (a.Type == NetDm.NET_DM_ATTR_HW_ENTRIES)
            {
                foreach (var entry in GenericNetlinkClient.Walk(a.Payload, order))
                {
                    if (entry.Type != NetDm.NET_DM_ATTR_HW_ENTRY) continue;
                    var fields = GenericNetlinkClient.Walk(entry.Payload, order);
                    var name = GenericNetlinkClient.Find(fields, NetDm.NET_DM_ATTR_HW_TRAP_NAME) is { } n ? GenericNetlinkClient.String(n.Payload.Span) : null;
                    list.Add(new DropSummary
                    {
                        Timestamp = context.ReceivedAt, Origin = DropOrigin.Hardware, Location = name, HardwareTrapName = name,
                        Count = GenericNetlinkClient.U32(fields, NetDm.NET_DM_ATTR_HW_TRAP_COUNT, order) ?? 0,
                        Interval = context.Interval, Index = list.Count,
                        FamilyId = familyId, Bytes = bytes, RecordNumber = context.RecordNumber, ByteOrder = order,
                    });
                }
            }
        }
        return list;
    }

    /// <summary>The function name of a %pS location: "__udp4_lib_rcv+0x9a2/0xc30 [mod]" -> "__udp4_lib_rcv".</summary>
    public static string? FunctionOf(string? location)
    {
        if (string.IsNullOrEmpty(location)) return null;
        int end = location.IndexOfAny(new[] { '+', ' ' });
        var name = end < 0 ? location : location[..end];
        return name.StartsWith("0x", StringComparison.Ordinal) ? null : name;
    }

    /// <summary>The alert as a decoded NET_DM message (the decoder is told the family id, as nlctrl would).</summary>
    public static NetlinkMessage Decode(byte[] bytes, ByteOrder order, ushort familyId, DateTimeOffset timestamp, long recordNumber)
    {
        var decoder = new NetlinkDecoder(new DecodeOptions
        {
            ByteOrder = order,
            GenericFamilies = new Dictionary<int, string> { [familyId] = NetDm.FamilyName },
        });
        var record = new NetlinkRecord(bytes, NetlinkProtocol.Generic)
        {
            Timestamp = timestamp, Direction = NetlinkDirection.FromKernel, Source = "NET_DM events",
            RecordNumber = recordNumber,
        };
        var messages = decoder.Decode(record);
        return messages.Count > 0 ? messages[0] : new NetlinkMessage { Protocol = NetlinkProtocol.Generic, Bytes = bytes, Record = record, MalformedReason = "empty alert" };
    }

    internal static string Hex(ulong value) => "0x" + value.ToString("x", CultureInfo.InvariantCulture);
}
