using NlmonPS.Wire;

namespace NlmonPS.Decoding;

/// <summary>The decoding tables of every protocol, by protocol number.</summary>
internal static class Schemas
{
    /// <summary>
    /// The protocols' schemas, handed over by the Protocols layer when the assembly loads (ProtocolCatalog's module
    /// initializer): the engine sits below the tables that use it, so it is given them instead of naming them.
    /// </summary>
    internal static Func<IEnumerable<IProtocolSchema>> Catalog { private get; set; } = Array.Empty<IProtocolSchema>;

    // By protocol number (netlink has 32): arrays, since every message looks its protocol up; filled on first use.
    private static class ByNumber
    {
        internal static readonly IProtocolSchema?[] Schema = new IProtocolSchema?[32];
        internal static readonly IMessageObserver?[] Observer = new IMessageObserver?[32];

        static ByNumber()
        {
            foreach (var schema in Catalog())
            {
                Schema[(int)schema.Protocol] = schema;
                Observer[(int)schema.Protocol] = schema as IMessageObserver;
            }
        }
    }

    public static IProtocolSchema? For(NetlinkProtocol protocol) => (uint)protocol < (uint)ByNumber.Schema.Length ? ByNumber.Schema[(int)protocol] : null;

    /// <summary>The protocol's schema when it learns from the stream (nlctrl ids, nfnetlink GETs), else null.</summary>
    public static IMessageObserver? ObserverFor(NetlinkProtocol protocol) =>
        (uint)protocol < (uint)ByNumber.Observer.Length ? ByNumber.Observer[(int)protocol] : null;

    public static IEnumerable<IProtocolSchema> All => ByNumber.Schema.OfType<IProtocolSchema>();

    /// <summary>
    /// The attributes of a generic netlink family NlmonPS cannot lay out: an id the capture never names (no nlctrl
    /// message taught it), or a family without a table (seg6's HMAC secret, TIPC's node key, cifs' witness password,
    /// ovpn's keys...). Such a family may carry keys (WireGuard's, MACsec's), and nothing tells a key from a name,
    /// so numbers up to 4 bytes and the nesting are shown, and every longer value is a secret: REDACTED and zeroed in
    /// the message's bytes unless -RevealSecrets.
    /// </summary>
    public static readonly AttributeTable UnknownGenericFamily = new("genl-unknown") { GuardsUnknown = true };

    /// <summary>enum netlink_attribute_type (linux/netlink.h): policy types in extended ACKs and nlctrl.</summary>
    private static readonly EnumTable PolicyType = new("policy-type")
    {
        [0] = "invalid", [1] = "flag", [2] = "u8", [3] = "u16", [4] = "u32", [5] = "u64", [6] = "s8", [7] = "s16",
        [8] = "s32", [9] = "s64", [10] = "binary", [11] = "string", [12] = "nul-string", [13] = "nested",
        [14] = "nested-array", [15] = "bitfield32", [16] = "sint", [17] = "uint",
    };

    /// <summary>enum nlmsgerr_attrs (netlink.h): the extended ACK.</summary>
    public static readonly AttributeTable ExtendedAck = new("nlmsgerr", "NLMSGERR_ATTR_")
    {
        [Nl.NLMSGERR_ATTR_MSG] = new("msg", ValueKind.String),
        [Nl.NLMSGERR_ATTR_OFFS] = new("offs", ValueKind.U32),
        [Nl.NLMSGERR_ATTR_COOKIE] = new("cookie", ValueKind.Binary),
        [Nl.NLMSGERR_ATTR_POLICY] = new("policy", ValueKind.Nested) { Nested = PolicyAttributes },
        [Nl.NLMSGERR_ATTR_MISS_TYPE] = new("miss_type", ValueKind.U32),
        [Nl.NLMSGERR_ATTR_MISS_NEST] = new("miss_nest", ValueKind.U32),
    };

    /// <summary>enum netlink_policy_type_attr (netlink.h): a policy as reported in extended ACKs and nlctrl policy dumps.</summary>
    public static AttributeTable PolicyAttributes => _policy ??= new("policy", "NL_POLICY_TYPE_ATTR_")
    {
        [1] = new("type", ValueKind.U32) { Enum = PolicyType },
        [2] = new("min_value_s", ValueKind.S64),
        [3] = new("max_value_s", ValueKind.S64),
        [4] = new("min_value_u", ValueKind.U64),
        [5] = new("max_value_u", ValueKind.U64),
        [6] = new("min_length", ValueKind.U32),
        [7] = new("max_length", ValueKind.U32),
        [8] = new("policy_idx", ValueKind.U32),
        [9] = new("policy_maxtype", ValueKind.U32),
        [10] = new("bitfield32_mask", ValueKind.U32),
        [11] = new("pad", ValueKind.Binary),
        [12] = new("mask", ValueKind.U64),
    };
    private static AttributeTable? _policy;
}
