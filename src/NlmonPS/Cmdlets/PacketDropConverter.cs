using System.Management.Automation;
using NlmonPS.DropMonitoring;
using NlmonPS.Wire;

namespace NlmonPS.Cmdlets;

/// <summary>
/// Turns a deserialized drop (Import-Clixml, remoting: Deserialized.NlmonPS.DropMonitoring.PacketDrop) back into a
/// <see cref="PacketDrop"/>, parsed again from the NET_DM alert it carries (Bytes), with the device name and
/// namespace it was given where it was received. NlmonPS.Types.ps1xml names it, so Import-Clixml gives real drops;
/// Export-PacketDropPcap rebuilds remoting's property bags through it.
/// </summary>
public sealed class PacketDropConverter : DeserializedConverter<PacketDrop>
{
    protected override PacketDrop? Rebuild(PSObject p) => FromDeserialized(p);
    protected override string Missing => "it carries no NET_DM packet alert";

    internal static bool IsDeserializedDrop(PSObject p) => IsDeserialized(p);

    /// <summary>The drop again, or null when the bag holds no alert that parses to the same packet.</summary>
    internal static PacketDrop? FromDeserialized(PSObject p)
    {
        if (NetlinkMessageConverter.Value(p, "Bytes") is not byte[] bytes || bytes.Length <= Nl.HeaderLength + 4) return null;
        var family = (ushort)(NetlinkMessageConverter.Int(NetlinkMessageConverter.Value(p, "FamilyId")) ?? 0);
        var index = NetlinkMessageConverter.Int(NetlinkMessageConverter.Value(p, "InterfaceIndex"));
        var name = NetlinkMessageConverter.Value(p, "InterfaceName") as string;
        var context = new DropAlertContext
        {
            ReceivedAt = NetlinkMessageConverter.Time(p.Properties["ReceivedAt"]?.Value),
            RecordNumber = NetlinkMessageConverter.Int(NetlinkMessageConverter.Value(p, "RecordNumber")) ?? 0,
            NetNamespace = NetlinkMessageConverter.Value(p, "NetNamespace") as string,
            Interfaces = i => i == index && name is not null ? new InterfaceInfo(i, name, 0) : null,
        };
        var packet = NetlinkMessageConverter.Value(p, "Packet") as byte[];
        // The alert is in the byte order of the host that received it, which the bag does not say: this host's first.
        foreach (var order in new[] { Endian.Host, Endian.Host == ByteOrder.LittleEndian ? ByteOrder.BigEndian : ByteOrder.LittleEndian })
        {
            try
            {
                var drop = DropAlertParser.ParsePacketAlert(bytes, order, family, context);
                if (packet is null || drop.Packet.AsSpan().SequenceEqual(packet)) return drop;
            }
            catch (Exception e) when (e is DropMonitorException or InvalidDataException or ArgumentException or IndexOutOfRangeException)
            {
                // Not an alert in this byte order: the other one, or none.
            }
        }
        return null;
    }
}
