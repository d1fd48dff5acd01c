using NlmonPS.Decoding;

namespace NlmonPS.Protocols.Route;

/// <summary>
/// Per-kind link data: IFLA_INFO_DATA and IFLA_INFO_SLAVE_DATA sets chosen by IFLA_INFO_KIND / IFLA_INFO_SLAVE_KIND.
/// A kind missing here still decodes, with numbered raw attributes.
/// </summary>
public static class LinkKinds
{
    public static readonly Dictionary<string, AttributeTable> Data = new(StringComparer.Ordinal);

    public static readonly Dictionary<string, AttributeTable> SlaveData = new(StringComparer.Ordinal);

    /// <summary>IFLA_AF_SPEC for AF_BRIDGE (IFLA_BRIDGE_*).</summary>
    public static readonly AttributeTable BridgeAfSpec = new("bridge-af-spec", "IFLA_BRIDGE_");
}
