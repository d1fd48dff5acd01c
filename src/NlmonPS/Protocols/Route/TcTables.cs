using NlmonPS.Decoding;

namespace NlmonPS.Protocols.Route;

/// <summary>Traffic control: qdiscs, classes, filters, chains (TCA_*) and actions (TCA_ACT_*).</summary>
public static class TcTables
{
    public static readonly AttributeTable Tc = new("tc", "TCA_");
    public static readonly AttributeTable ActionRoot = new("tc-action-root", "TCA_ROOT_");
}
