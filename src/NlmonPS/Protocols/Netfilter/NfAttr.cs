using NlmonPS.Decoding;
using static NlmonPS.Decoding.ValueKind;

namespace NlmonPS.Protocols.Netfilter;

/// <summary>
/// Shorthands for the attribute specs of the netfilter tables. nfnetlink puts integers in network byte order
/// (nla_put_be16/be32/be64) almost everywhere, so the big-endian ones are the short names here.
/// </summary>
internal static class NfAttr
{
    public static AttributeSpec Be16(string name, EnumTable? e = null, FlagTable? f = null) => new(name, U16) { NetworkOrder = true, Enum = e, Flags = f };
    public static AttributeSpec Be32(string name, EnumTable? e = null, FlagTable? f = null) => new(name, U32) { NetworkOrder = true, Enum = e, Flags = f };
    public static AttributeSpec Be64(string name, FlagTable? f = null) => new(name, U64) { NetworkOrder = true, Flags = f };
    public static AttributeSpec Bes32(string name, EnumTable? e = null) => new(name, S32) { NetworkOrder = true, Enum = e };
    public static AttributeSpec U8(string name, EnumTable? e = null, FlagTable? f = null) => new(name, ValueKind.U8) { Enum = e, Flags = f };
    public static AttributeSpec Host32(string name, EnumTable? e = null, FlagTable? f = null) => new(name, U32) { Enum = e, Flags = f };
    public static AttributeSpec Str(string name) => new(name, ValueKind.String);
    public static AttributeSpec Bin(string name) => new(name, Binary);
    public static AttributeSpec Pad(string name = "pad") => new(name, Binary);
    public static AttributeSpec Nest(string name, AttributeTable table) => new(name, Nested) { Nested = table };
    public static AttributeSpec Struct(string name, StructSpec spec) => new(name, ValueKind.Struct) { Struct = spec };
    public static AttributeSpec Ip4(string name) => new(name, IPv4);
    public static AttributeSpec Ip6(string name) => new(name, IPv6);

    /// <summary>A copy of a table with some entries replaced (message variants: ipset's setname2, nft objects by type).</summary>
    public static AttributeTable With(this AttributeTable table, string name, params (int Type, AttributeSpec Spec)[] replace)
    {
        var copy = new AttributeTable(name, table.UapiPrefix);
        foreach (var (type, spec) in table.Entries()) copy[type] = spec;
        foreach (var (type, spec) in replace) copy[type] = spec;
        return copy;
    }
}
