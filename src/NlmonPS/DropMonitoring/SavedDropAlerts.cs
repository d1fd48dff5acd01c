using NlmonPS.Decoding;
using NlmonPS.KernelClients;
using NlmonPS.Wire;

namespace NlmonPS.DropMonitoring;

/// <summary>
/// Drops read back from NET_DM messages of a saved capture (Export-NetlinkPcap of NET_DM traffic, nlmon captures of
/// dropwatch, dwdump files): the same <see cref="PacketDrop"/> and <see cref="DropSummary"/> objects as live.
/// The family is known by name when the capture holds its nlctrl lookup; without one (dwdump writes none), a packet
/// alert of an unknown generic family is recognised by its shape.
/// What a file cannot give: device names the alert does not carry (only NET_DM_ATTR_PORT_NETDEV_NAME), addresses
/// without a symbol that no earlier packet alert of the read named (the kernel that dropped them had its own kallsyms),
/// and the interval of summary alerts.
/// </summary>
internal static class SavedDropAlerts
{
    /// <summary>The drops a message carries: none unless it is a NET_DM alert from the kernel.</summary>
    public static IEnumerable<object> From(NetlinkMessage message, CaptureSymbols? seen = null)
    {
        if (message.IsMalformed || !IsAlert(message)) return Array.Empty<object>();
        var bytes = message.Bytes;
        byte command = bytes[Nl.HeaderLength];
        var context = new DropAlertContext { ReceivedAt = message.Timestamp, RecordNumber = message.RecordNumber, SeenInCapture = seen };
        return command switch
        {
            NetDm.NET_DM_CMD_PACKET_ALERT => new object[] { DropAlertParser.ParsePacketAlert(bytes, message.ByteOrder, message.Type, context) },
            NetDm.NET_DM_CMD_ALERT => DropAlertParser.ParseSummaryAlert(bytes, message.ByteOrder, message.Type, context).Cast<object>().ToArray(),
            _ => Array.Empty<object>(),
        };
    }

    /// <summary>
    /// A NET_DM message from the kernel, well formed or not: of the family by name, or, in a capture that never named
    /// it, by a packet alert's shape (a malformed one is then known only if its first attributes survived).
    /// </summary>
    public static bool IsAlert(NetlinkMessage message) =>
        message.Protocol == NetlinkProtocol.Generic && message.Direction != NetlinkDirection.ToKernel
        && message.Bytes.Length > Nl.HeaderLength + 4 && message.Type >= Nl.NLMSG_MIN_TYPE
        && (message.Family == NetDm.FamilyName
            || (message.Family is null || message.Family.StartsWith("genl(", StringComparison.Ordinal)) && LooksLikePacketAlert(message));

    /// <summary>A packet alert of a family the stream never named: the command, and the attributes every packet alert has.</summary>
    private static bool LooksLikePacketAlert(NetlinkMessage message)
    {
        if (message.Bytes[Nl.HeaderLength] != NetDm.NET_DM_CMD_PACKET_ALERT) return false;
        bool origin = false, protocol = false, timestamp = false;
        foreach (var a in GenericNetlinkClient.Attributes(message.Bytes, message.ByteOrder))
        {
            origin |= a.Type == NetDm.NET_DM_ATTR_ORIGIN && a.Payload.Length == 2;
            protocol |= a.Type == NetDm.NET_DM_ATTR_PROTO && a.Payload.Length == 2;
            timestamp |= a.Type == NetDm.NET_DM_ATTR_TIMESTAMP && a.Payload.Length == 8;
        }
        return origin && protocol && timestamp;
    }
}
