using NlmonPS.Decoding;

namespace NlmonPS.Protocols.Route;

/// <summary>Attribute sets of routes, neighbours, rules, nexthops and the rest of rtnetlink.</summary>
public static class RouteTables
{
    public static readonly AttributeTable Route = new("route", "RTA_");
    public static readonly AttributeTable Neigh = new("neigh", "NDA_");
    public static readonly AttributeTable Rule = new("rule", "FRA_");
    public static readonly AttributeTable Prefix = new("prefix", "PREFIX_");
    public static readonly AttributeTable NeighTable = new("neightbl", "NDTA_");
    public static readonly AttributeTable AddrLabel = new("addrlabel", "IFAL_");
    public static readonly AttributeTable Netconf = new("netconf", "NETCONFA_");
    public static readonly AttributeTable Mdb = new("mdb", "MDBA_");
    public static readonly AttributeTable Nsid = new("nsid", "NETNSA_");
    public static readonly AttributeTable Stats = new("stats", "IFLA_STATS_");
    public static readonly AttributeTable NextHop = new("nexthop", "NHA_");
    public static readonly AttributeTable NextHopBucket = new("nexthop-bucket", "NHA_");
    public static readonly AttributeTable BridgeVlan = new("bridge-vlan", "BRIDGE_VLANDB_");
    public static readonly AttributeTable Tunnel = new("tunnel", "VXLAN_VNIFILTER_");
}
