using System.Buffers.Binary;
using NlmonPS.Wire;

namespace NlmonPS.Capture;

/// <summary>The pcap link types that can carry netlink, and how to find the netlink bytes in their frames.</summary>
internal static class LinkTypes
{
    public const int Ethernet = 1;
    public const int LinuxSll = 113;
    public const int Nflog = 239;
    public const int Netlink = 253;
    public const int LinuxSll2 = 276;
    public const ushort ArphrdNetlink = 824;

    public static bool CanCarryNetlink(int linkType) => linkType is Netlink or LinuxSll or LinuxSll2;

    public static string Describe(int linkType) => linkType switch
    {
        Ethernet => "LINKTYPE_ETHERNET (1)",
        LinuxSll => "LINKTYPE_LINUX_SLL (113)",
        Nflog => "LINKTYPE_NFLOG (239)",
        Netlink => "LINKTYPE_NETLINK (253)",
        LinuxSll2 => "LINKTYPE_LINUX_SLL2 (276)",
        _ => $"link type {linkType}",
    };

    /// <summary>
    /// Finds the netlink protocol and messages in one frame. LINKTYPE_NETLINK and LINUX_SLL share a 16-byte header
    /// (ARPHRD at 2, protocol at 14, big-endian); LINUX_SLL2 has 20 bytes (protocol at 0, ARPHRD at 8).
    /// Returns false for frames that are not netlink (other devices in a `tcpdump -i any` capture). A netlink frame
    /// cut inside its header (a snaplen below it, a zero-length record) is netlink with no messages.
    /// </summary>
    public static bool TryGetNetlink(int linkType, ReadOnlyMemory<byte> frame, out NetlinkProtocol protocol, out ReadOnlyMemory<byte> messages)
    {
        var s = frame.Span;
        protocol = default;
        messages = default;
        switch (linkType)
        {
            case Netlink:
                if (s.Length < 16) return true;
                protocol = (NetlinkProtocol)BinaryPrimitives.ReadUInt16BigEndian(s[14..]);
                messages = frame[16..];
                return true;
            case LinuxSll:
                if (s.Length < 4 || BinaryPrimitives.ReadUInt16BigEndian(s[2..]) != ArphrdNetlink) return false;
                if (s.Length < 16) return true;
                protocol = (NetlinkProtocol)BinaryPrimitives.ReadUInt16BigEndian(s[14..]);
                messages = frame[16..];
                return true;
            case LinuxSll2:
                if (s.Length < 10 || BinaryPrimitives.ReadUInt16BigEndian(s[8..]) != ArphrdNetlink) return false;
                if (s.Length < 20) return true;
                protocol = (NetlinkProtocol)BinaryPrimitives.ReadUInt16BigEndian(s);
                messages = frame[20..];
                return true;
            default:
                return false;
        }
    }

    /// <summary>The 16-byte LINKTYPE_NETLINK header nlmon writes: packet type 4 (outgoing), ARPHRD_NETLINK, protocol.</summary>
    public static void WriteNetlinkHeader(Span<byte> header, NetlinkProtocol protocol)
    {
        header[..16].Clear();
        BinaryPrimitives.WriteUInt16BigEndian(header, 4);
        BinaryPrimitives.WriteUInt16BigEndian(header[2..], ArphrdNetlink);
        BinaryPrimitives.WriteUInt16BigEndian(header[14..], (ushort)protocol);
    }

    /// <summary>
    /// A frame's 16-byte header as a value when it differs from the one <see cref="WriteNetlinkHeader"/> writes for
    /// its protocol (another packet type, address bytes), else zero: what a record keeps to be written back exactly.
    /// </summary>
    public static UInt128 NonStandardHeader(ReadOnlySpan<byte> frame, NetlinkProtocol protocol)
    {
        var captured = System.Runtime.InteropServices.MemoryMarshal.Read<UInt128>(frame);
        Span<byte> standard = stackalloc byte[16];
        WriteNetlinkHeader(standard, protocol);
        return captured == System.Runtime.InteropServices.MemoryMarshal.Read<UInt128>(standard) ? default : captured;
    }

    /// <summary>Writes a record's 16-byte header: the one it was captured with, or nlmon's for its protocol.</summary>
    public static void WriteHeader(Span<byte> header, NetlinkProtocol protocol, UInt128 captured)
    {
        if (captured == default) WriteNetlinkHeader(header, protocol);
        else System.Runtime.InteropServices.MemoryMarshal.Write(header, in captured);
    }
}
