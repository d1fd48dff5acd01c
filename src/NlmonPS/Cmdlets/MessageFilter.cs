using System.Management.Automation;
using NlmonPS.Decoding;
using NlmonPS.Filtering;
using NlmonPS.Protocols.Generic;
using NlmonPS.Wire;

namespace NlmonPS.Cmdlets;

/// <summary>The -Protocol / -MessageType / -Filter / -Count selection shared by every cmdlet that emits messages.</summary>
internal sealed class MessageFilter
{
    private readonly HashSet<NetlinkProtocol>? _protocols;
    private readonly WildcardPattern[]? _types;
    private readonly string[]? _typePatterns;
    private readonly int _limit;
    private readonly FilterRequirements? _typeRequirements;

    public MessageFilter(NetlinkProtocol[]? protocols, string[]? messageTypes, int count)
    {
        if (protocols is { Length: > 0 }) _protocols = new HashSet<NetlinkProtocol>(protocols);
        if (messageTypes is { Length: > 0 })
        {
            _types = messageTypes.Select(t => new WildcardPattern(t, WildcardOptions.IgnoreCase)).ToArray();
            _typePatterns = messageTypes;
            _typeRequirements = FilterRequirements.OfMessageTypes(_types, messageTypes);
        }
        _limit = count;
    }

    public int Emitted { get; private set; }

    /// <summary>The -Filter script block, judged on each decoded message before it is written (null: none).</summary>
    public MessagePredicate? Where { get; private set; }

    /// <summary>Takes a cmdlet's -Filter: compiled now, once; says with -Verbose whether it compiled.</summary>
    public void UseFilter(ScriptBlock? block, PSCmdlet cmdlet)
    {
        if (block is null) return;
        Where = new MessagePredicate(block, name => cmdlet.SessionState.PSVariable.GetValue(name), cmdlet.WriteError);
        cmdlet.WriteVerbose(Where.IsCompiled
            ? "-Filter compiled: it is judged inside the reader, before a message reaches the pipeline."
            : $"-Filter cannot be compiled ({Where.NotCompiledReason}): it runs as a script block for each message, as Where-Object would.");
        if (Where.JudgesBytes)
        {
            var paths = Where.ValuePaths.Select(p => "$_." + p).ToArray();
            cmdlet.WriteVerbose($"-Filter's {(paths.Length == 1 ? "condition" : "conditions")} on {string.Join(" and ", paths)} "
                + $"{(paths.Length == 1 ? "is" : "are")} also judged on each message's bytes, before decoding, where the message's layout allows.");
        }
    }
    public bool IsComplete => _limit > 0 && Emitted >= _limit;

    /// <summary>The condition of the Where-Object this cmdlet writes into, judged first in the reader (null: none).</summary>
    public MessagePredicate? Downstream { get; private set; }

    /// <summary>
    /// Pushes the condition of a `| Where-Object { … }` right after the cmdlet down into the reader when it compiles:
    /// a message it surely rejects is never written (Where-Object would drop it), so the pipeline's output is the
    /// same, without PowerShell's per-object cost for the messages that fail. Not with -Count, which counts what is
    /// written before Where-Object judges it. Says with -Verbose what it did.
    /// </summary>
    public void PushDownWhereObject(PSCmdlet cmdlet)
    {
        if (_limit > 0) return;
        var block = DownstreamWhereObject.Find(cmdlet, out var whyNot, out var strictMode);
        if (block is null)
        {
            if (whyNot is not null) cmdlet.WriteVerbose($"The Where-Object condition is not judged in the reader: {whyNot}.");
            return;
        }
        var predicate = new MessagePredicate(block, name => cmdlet.SessionState.PSVariable.GetValue(name), cmdlet.WriteError, pushedDown: true);
        if (!predicate.IsCompiled)
        {
            cmdlet.WriteVerbose($"The Where-Object condition is not judged in the reader: it cannot be compiled ({predicate.NotCompiledReason}).");
            return;
        }
        Downstream = predicate;
        _strictMode = strictMode;
        cmdlet.WriteVerbose("The Where-Object condition is judged in the reader first: messages it rejects are not written to the pipeline.");
    }

    private Func<bool>? _strictMode;
    private ExportNetlinkPcapCommand? _export;

    /// <summary>
    /// When the cmdlet writes straight into Export-NetlinkPcap (`Get-NetlinkMessage … | Export-NetlinkPcap out.pcap`),
    /// messages are handed to it directly rather than through the pipeline: the file written is the same, without
    /// PowerShell binding each message to -InputObject. Says with -Verbose what it did.
    /// </summary>
    public void HandToExport(PSCmdlet cmdlet)
    {
        if (NextCommand.Of(cmdlet) is not ExportNetlinkPcapCommand export) return;
        string? whyNot = !export.TakesMessagesDirectly ? "Export-NetlinkPcap passes them on (-PassThru)"
            : NextCommand.SeesEveryObject(cmdlet) is { } common ? $"-{common} sees every message written" : null;
        if (whyNot is not null)
        {
            cmdlet.WriteVerbose($"Messages go to Export-NetlinkPcap through the pipeline: {whyNot}.");
            return;
        }
        _export = export;
        cmdlet.WriteVerbose("Messages are handed straight to Export-NetlinkPcap, not bound one by one through the pipeline.");
    }

    /// <summary>
    /// Writes the message if it is wanted, with its error when it is malformed. A message only the pushed-down
    /// Where-Object condition rejects still has its error written: without the push-down the pipeline showed it too.
    /// </summary>
    public void Write(NetlinkMessage message, Cmdlet cmdlet)
    {
        if (!Wanted(message)) return;
        // A message the pushed-down condition rejects is still written under strict mode (a later command may turn
        // it on): there the block fails where the reader reads $null, so Where-Object must judge it.
        if (Downstream is null || Downstream.Test(message) || _strictMode!())
        {
            Emitted++;
            if (_export is not null) _export.Take(message);
            else cmdlet.WriteObject(message);
        }
        if (message.IsMalformed) cmdlet.WriteError(ErrorRecords.Malformed(message));
    }

    /// <summary>
    /// <see cref="MayMatch"/>, and the -Filter's test of a message's bytes (null when it has no condition to judge on
    /// bytes: see FilterRequirements.MayMatchBytes), as the decoder takes them, made once (a method group would be a
    /// new delegate for every record).
    /// </summary>
    public Func<NetlinkProtocol, ushort, bool> TypeTest => _typeTest ??= MayMatch;
    public RawMessageTest? BytesTest => _bytesTest ??= Where is { JudgesBytes: true } where
        ? (NetlinkProtocol protocol, in RawMessage raw, ByteOrder order) => where.MayMatchBytes(protocol, raw, order, GenericFamilies)
        : null;
    private Func<NetlinkProtocol, ushort, bool>? _typeTest;
    private RawMessageTest? _bytesTest;

    /// <summary>Whether a record of this protocol can hold anything wanted (skip decoding it otherwise).</summary>
    public bool WantsProtocol(NetlinkProtocol protocol) => _protocols is null || _protocols.Contains(protocol);

    /// <summary>
    /// Whether a message of this type may pass, judged from its number alone so unwanted messages are never
    /// decoded. Undecided (true) where only decoding tells: generic netlink commands, nlctrl (which teaches
    /// family ids and so is always decoded), types without a static name.
    /// </summary>
    public bool MayMatch(NetlinkProtocol protocol, ushort type)
    {
        if (protocol == NetlinkProtocol.Generic && type != NlctrlId) return MayMatchGeneric(type);
        if (!WantsProtocol(protocol) && protocol != NetlinkProtocol.Generic) return false;
        if (Where is not null && !Where.MayMatch(protocol, type)) return false;
        if (_types is null) return true;
        // A protocol none of whose names can match is skipped whole (what it teaches serves only itself).
        if (!_typeRequirements!.MayMatch(protocol, type)) return false;
        // Decided once per protocol and type (a table of 0 unknown, 1 no, 2 yes per protocol): wildcard matching
        // costs more than decoding a small message.
        var decided = (uint)protocol < (uint)_mayMatch.Length ? _mayMatch[(int)protocol] ??= new byte[ushort.MaxValue + 1] : null;
        if (decided is not null && decided[type] != 0) return decided[type] == 2;
        string? name = type < Nl.NLMSG_MIN_TYPE ? NetlinkDecoder.ControlTypeName(type)
            : protocol == NetlinkProtocol.Generic ? null
            : Schemas.For(protocol)?.TypeName(type);
        // A type that teaches what only its decoding tells (nf_tables set types, sock_diag request protocols) is
        // decoded for the messages after it, and then left out by Accept.
        bool may = name is null || Matches(name) || Schemas.ObserverFor(protocol)?.LearnsFrom(type) == Learning.OnlyWhenDecoded;
        if (decided is not null) decided[type] = may ? (byte)2 : (byte)1;
        return may;
    }

    private readonly byte[]?[] _mayMatch = new byte[]?[32];

    private const ushort NlctrlId = Nl.GENL_ID_CTRL;

    /// <summary>The family ids the stream has taught so far (the decoder's), to judge generic messages by family.</summary>
    public GenericFamilyRegistry? GenericFamilies { get; set; }

    /// <summary>
    /// A generic netlink message other than nlctrl (which is always decoded: it teaches family ids) may match when
    /// generic is wanted, the -Filter may pass one of its family's messages, and a pattern can match its family's
    /// name, a command name of the family, or "family command". Undecided (true) for families without tables and
    /// patterns about unknown commands.
    /// </summary>
    private bool MayMatchGeneric(ushort type)
    {
        if (!WantsProtocol(NetlinkProtocol.Generic)) return false;
        // The family as the decoder will name it (control messages have no family).
        if (Where is not null && type >= Nl.NLMSG_MIN_TYPE && GenericFamilies is { } families
            && !Where.MayMatchFamily(GenericSchema.FamilyName(families, type)))
            return false;
        if (_types is null) return true;
        var name = GenericFamilies?.NameOf(type);
        if (name is null || !GenericSchema.Instance.Families.TryGetValue(name, out var family)) return true;
        if (_genericMayMatch.TryGetValue(name, out var known)) return known;
        bool may = _typePatterns!.Any(p => p.Contains("unknown", StringComparison.OrdinalIgnoreCase)) || Matches(name);
        foreach (var commands in new[] { family.Commands, family.ReplyCommands, family.EventCommands })
            foreach (var command in commands?.Values ?? Enumerable.Empty<string>())
                may = may || Matches(command) || Matches($"{name} {command}");
        return _genericMayMatch[name] = may;
    }

    private readonly Dictionary<string, bool> _genericMayMatch = new(StringComparer.Ordinal);
    private readonly Dictionary<(string, string?), bool> _accepts = new();

    private bool Matches(string name)
    {
        foreach (var pattern in _types!) if (pattern.IsMatch(name)) return true;
        return false;
    }

    /// <summary>Whether the message passes -Protocol, -MessageType, -Filter and -Count.</summary>
    private bool Wanted(NetlinkMessage m)
    {
        if (IsComplete || !WantsProtocol(m.Protocol)) return false;
        if (_types is not null)
        {
            var key = (m.TypeName, m.Command);
            // A generic family's name selects all its messages ("nlctrl", as Tab offers it, and "nlctrl *").
            if (!_accepts.TryGetValue(key, out var accepted))
                _accepts[key] = accepted = Matches(m.TypeName) || (m.Command is not null && Matches(m.Command))
                    || (m.Protocol == NetlinkProtocol.Generic && m.Family is { } family && Matches(family));
            if (!accepted) return false;
        }
        return Where is null || Where.Test(m);
    }
}
