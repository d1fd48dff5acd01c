using NlmonPS.Decoding;
using NlmonPS.Wire;
using static NlmonPS.Decoding.ValueKind;

namespace NlmonPS.Protocols.Generic;

/// <summary>
/// NETLINK_GENERIC: the message type is a family id assigned at run time. The id is resolved to a family by the
/// registry (learned from nlctrl), and the family's table names the command (genlmsghdr.cmd) and attributes.
/// </summary>
internal sealed class GenericSchema : IProtocolSchema, IMessageObserver
{
    public NetlinkProtocol Protocol => NetlinkProtocol.Generic;

    // genetlink.h: nlctrl's fixed id, CTRL_ATTR_FAMILY_ID and CTRL_ATTR_FAMILY_NAME.
    private const ushort NlctrlId = Nl.GENL_ID_CTRL, CtrlAttrFamilyId = 1, CtrlAttrFamilyName = 2;

    // struct genlmsghdr, whole: the kernel refuses a message shorter than it (GENL_HDRLEN), so a shorter one is malformed.
    public static readonly StructSpec GenlMsgHdr = new("genlmsghdr", 4) { { "cmd", 0, U8 }, { "version", 1, U8 }, { "reserved", 2, U16 } };

    // Built on first use, not in the constructor: a family table (nlctrl's policies) may reach Schemas, whose
    // static constructor builds this schema, so touching a family class first must not need the families here.
    private readonly Lazy<Dictionary<string, GenericFamily>> _families = new(
        () => GenericFamilies.All.ToDictionary(f => f.Name, StringComparer.Ordinal), LazyThreadSafetyMode.ExecutionAndPublication);
    // Resolutions are shared by every decoder (and runspace), so the cache must take concurrent readers and writers.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Family, int Cmd, int Numbering), ResolvedMessage> _resolved = new();

    private GenericSchema() { }

    /// <summary>Known family tables by name (nlctrl, NET_DM, ethtool...).</summary>
    public IReadOnlyDictionary<string, GenericFamily> Families => _families.Value;

    /// <summary>A stream's resolutions by family id, command and what the message is, while its ids mean the same names.</summary>
    private sealed class StreamResolutions
    {
        public readonly Dictionary<ulong, ResolvedMessage> ById = new();
        public int RegistryVersion;
    }

    public ResolvedMessage? Resolve(DecodeContext context, NetlinkHeader header, ReadOnlySpan<byte> payload, NetlinkDirection direction)
    {
        int cmd = payload.Length > 0 ? payload[0] : -1;
        // Only families whose kernel messages are numbered apart (ethtool) depend on the direction, and only those
        // with events of their own (mptcp_pm) on whether a kernel message is a multicast notification: port id 0
        // and sequence 0, where replies carry the requester's port.
        bool fromKernel = direction == NetlinkDirection.FromKernel;
        int shape = fromKernel ? header.PortId == 0 && header.Sequence == 0 ? 2 : 1 : 0;
        // Most messages are of a few (family, command) pairs: found by one number first, not by the family's name.
        var stream = context.StateFor<StreamResolutions>(Protocol);
        if (stream.RegistryVersion != context.GenericFamilies.Version)
        {
            stream.ById.Clear();
            stream.RegistryVersion = context.GenericFamilies.Version;
        }
        ulong id = (ulong)header.Type << 32 | (ulong)(uint)(cmd + 1) << 8 | (uint)shape;
        if (stream.ById.TryGetValue(id, out var known)) return known;
        if (stream.ById.Count >= 4096) stream.ById.Clear();
        return stream.ById[id] = Resolve(context, header.Type, cmd, shape);
    }

    private ResolvedMessage Resolve(DecodeContext context, ushort type, int cmd, int shape)
    {
        var name = FamilyName(context.GenericFamilies, type);
        _families.Value.TryGetValue(name, out var family);
        int numbering = family?.EventCommands is not null && shape == 2 ? 2
            : family?.ReplyCommands is not null && shape != 0 ? 1 : 0;
        if (_resolved.TryGetValue((name, cmd, numbering), out var cached)) return cached;
        var (cmdName, attributes) = Command(family, cmd, numbering);
        var spec = new MessageSpec(family is null || cmdName is null ? name : $"{name} {cmdName}", cmdName is null ? MessageKind.Other : family?.KindOf(cmdName) ?? MessageKind.Other)
        {
            Header = family?.Header,
            Attributes = attributes,
            Body = family is not null && family.BodyByCommand.TryGetValue(cmd, out var body) ? body : null,
            Summary = family?.Summary ?? GenericSummary,
        };
        var resolved = new ResolvedMessage(spec, 0) { Family = name, Command = cmdName, PreHeader = GenlMsgHdr };
        return _resolved[(name, cmd, numbering)] = resolved;
    }

    /// <summary>
    /// A command's name and attribute set, in one numbering of the family's commands: 0 requests (or both
    /// directions), 1 the kernel's replies, 2 its events (see <see cref="GenericFamily.ReplyCommands"/>).
    /// </summary>
    private static (string? Name, AttributeTable Attributes) Command(GenericFamily? family, int cmd, int numbering)
    {
        var commands = numbering switch { 2 => family!.EventCommands, 1 => family!.ReplyCommands, _ => family?.Commands };
        string? cmdName = commands is null ? cmd.ToString(System.Globalization.CultureInfo.InvariantCulture)
            : commands.TryGetValue((ulong)Math.Max(cmd, 0), out var known) && cmd >= 0 ? known : $"unknown({cmd})";
        // A capped ACK echoes only the request's netlink header: no genlmsghdr, so no command to name.
        if (cmd < 0) cmdName = null;
        var attributes = family is null ? Schemas.UnknownGenericFamily
            : numbering == 2 ? family.EventAttributes ?? family.Attributes : family.AttributesFor(cmd, cmdName);
        return (cmdName, attributes);
    }

    /// <summary>
    /// Where a message of this family and command has its headers and attributes, and every set they may be decoded with, whichever
    /// way the message goes (a request, a reply, an event: the bytes alone do not say); null where its bytes are not
    /// an attribute stream of known sets (a family without tables, a command decoded by code). For judging a filter
    /// on the bytes before decoding.
    /// </summary>
    internal MessageLayout? Layout(string familyName, int cmd)
    {
        if (!_families.Value.TryGetValue(familyName, out var family) || family.BodyByCommand.ContainsKey(cmd)) return null;
        var numberings = new List<int> { 0 };
        if (family.ReplyCommands is not null) numberings.Add(1);
        if (family.EventCommands is not null) numberings.Add(2);
        return MessageLayout.Of(GenlMsgHdr, family.Header, numberings.Select(n => Command(family, cmd, n).Attributes).Distinct());
    }

    /// <summary>A family id's name: as the stream (or -GenericFamily) taught it, else "genl(N)".</summary>
    public static string FamilyName(GenericFamilyRegistry families, ushort id) => families.NameOf(id) ?? $"genl({id})";

    public string? TypeName(ushort type) => type == NlctrlId ? "nlctrl" : null;

    public IEnumerable<(ushort Type, string Name)> KnownTypes => new[] { (NlctrlId, "nlctrl") };

    /// <summary>Only nlctrl teaches (family ids); readers never leave it undecoded.</summary>
    public Learning LearnsFrom(ushort type) => type == NlctrlId ? Learning.OnlyWhenDecoded : Learning.Nothing;

    /// <summary>Learns family ids from nlctrl NEWFAMILY/DELFAMILY messages as they stream past.</summary>
    public void Observe(DecodeContext context, NetlinkMessage message)
    {
        if (message.Type != NlctrlId || message.Direction != NetlinkDirection.FromKernel) return;
        // Read straight from the bytes: every nlctrl reply passes here, and its attributes may never be read.
        if (message.TryTopAttribute(CtrlAttrFamilyId, out var id) && id.Length >= 2
            && message.TryTopAttribute(CtrlAttrFamilyName, out var name))
            context.GenericFamilies.Learn(Endian.U16(id, message.ByteOrder), AttributeDecoder.CString(name));
    }

    private static string? GenericSummary(NetlinkMessage m) =>
        Summaries.Join(Summaries.RequestVerb(m), m.Family, m.Command, m.Attributes.Count > 0 ? $"({m.Attributes.Count} attributes)" : null);

    // Last: static fields initialise in textual order, and the constructor uses the ones above.
    public static readonly GenericSchema Instance = new();
}

/// <summary>One generic netlink family: its command names and attribute sets.</summary>
internal sealed class GenericFamily
{
    public GenericFamily(string name, EnumTable commands, AttributeTable attributes)
    {
        Name = name; Commands = commands; Attributes = attributes;
    }

    public string Name { get; }
    public EnumTable Commands { get; }
    public AttributeTable Attributes { get; }
    /// <summary>A family-specific fixed header after genlmsghdr (rare).</summary>
    public StructSpec? Header { get; init; }
    /// <summary>Commands whose attributes use another set than <see cref="Attributes"/>.</summary>
    public Dictionary<int, AttributeTable> AttributesByCommand { get; } = new();
    public Func<NetlinkMessage, string?>? Summary { get; init; }

    /// <summary>
    /// The names of the commands the kernel sends when they are numbered apart from the requests (ethtool's
    /// ETHTOOL_MSG_*_GET_REPLY and _NTF ids); null when one numbering serves both directions.
    /// </summary>
    public EnumTable? ReplyCommands { get; init; }
    /// <summary>
    /// Names of the events the kernel multicasts when they are numbered apart from the commands (mptcp_pm's
    /// MPTCP_EVENT_*), with their attribute set; null when notifications reuse the command numbers.
    /// </summary>
    public EnumTable? EventCommands { get; init; }
    public AttributeTable? EventAttributes { get; init; }
    /// <summary>Attribute sets by command name (wins over <see cref="AttributesByCommand"/>): for direction-numbered families.</summary>
    public Dictionary<string, AttributeTable> AttributesByCommandName { get; } = new(StringComparer.Ordinal);
    /// <summary>Commands whose payload after genlmsghdr is not an attribute stream (NET_DM's legacy alert).</summary>
    public Dictionary<int, Func<NetlinkMessage, int, int, NetlinkFields>> BodyByCommand { get; } = new();

    public AttributeTable AttributesFor(int cmd, string? commandName = null) =>
        commandName is not null && AttributesByCommandName.TryGetValue(commandName, out var byName) ? byName
        : AttributesByCommand.TryGetValue(cmd, out var t) ? t : Attributes;

    public MessageKind KindOf(string command) =>
        command.Contains("GET", StringComparison.Ordinal) ? MessageKind.Get
        : command.Contains("DEL", StringComparison.Ordinal) ? MessageKind.Delete
        : command.Contains("NEW", StringComparison.Ordinal) || command.Contains("SET", StringComparison.Ordinal) ? MessageKind.New
        : MessageKind.Other;
}
