using System.Management.Automation;
using NlmonPS.Conversation;
using NlmonPS.Decoding;
using NlmonPS.Wire;

namespace NlmonPS.Cmdlets;

/// <summary>
/// Statistics over netlink transactions, as `strace -c` gives them for system calls: per protocol and request type
/// (or generic command), the count, errors by errno, objects returned and latency percentiles. Takes transactions
/// (Get-NetlinkTransaction), messages (paired here the same way) or capture files; writes one object per group at the end.
/// </summary>
[Cmdlet(VerbsDiagnostic.Measure, "NetlinkTransaction", DefaultParameterSetName = InputSet)]
[OutputType(typeof(NetlinkTransactionStatistics))]
public sealed class MeasureNetlinkTransactionCommand : PSCmdlet
{
    private const string InputSet = "Input", PathSet = "Path", LiteralPathSet = "LiteralPath";

    /// <summary>A NetlinkTransaction, or a NetlinkMessage (paired into transactions first).</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = InputSet)]
    public PSObject? InputObject { get; set; }

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = Array.Empty<string>();

    [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "LP")]
    [ValidateNotNullOrEmpty]
    public string[] LiteralPath { get; set; } = Array.Empty<string>();

    /// <summary>For messages: how long (stream time) a request waits for its next answer (as Get-NetlinkTransaction -Timeout).</summary>
    [Parameter]
    [SecondsToTimeSpan]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);

    private readonly TransactionStatistics _statistics = new();
    private TransactionTracker? _tracker;
    private readonly List<NetlinkTransaction> _completed = new();
    private NetlinkDecoder? _decoder;
    private volatile bool _stopping;

    protected override void BeginProcessing()
    {
        TransactionTimeoutParameter.Check(this, Timeout);
    }

    private static readonly string DeserializedTransaction = "Deserialized." + typeof(NetlinkTransaction).FullName;

    /// <summary>
    /// A transaction that came through remoting or Export-Clixml (a property bag): what the statistics need, read by
    /// name. Its enums come back as numbers, its error as a bag of its own.
    /// </summary>
    private static TransactionFacts FactsOf(PSObject p)
    {
        NetlinkMessageConverter.TryEnum(NetlinkMessageConverter.Value(p, "Protocol"), out NetlinkProtocol protocol);
        NetlinkMessageConverter.TryEnum(NetlinkMessageConverter.Value(p, "Status"), out TransactionStatus status);
        string? errorName = null;
        if (status == TransactionStatus.Error)
            errorName = NetlinkMessageConverter.Value(p, "ErrorName") as string ?? p.Properties["Error"]?.Value switch
            {
                NetlinkError e => e.ErrorName,
                PSObject e => NetlinkMessageConverter.Value(e, "ErrorName") as string,
                _ => null,
            } ?? ((p.Properties["Final"]?.Value is PSObject final ? NetlinkMessageConverter.From(final) : null) is { Type: Nl.NLMSG_DONE } done
                && done.Header["error"] is int err && err < 0 ? Errno.NameOf(-err) : null);
        return new TransactionFacts(protocol, NetlinkMessageConverter.Value(p, "Family") as string,
            NetlinkMessageConverter.Value(p, "RequestType") as string ?? "?", status,
            NetlinkMessageConverter.Int(NetlinkMessageConverter.Value(p, "ObjectCount")) ?? 0, errorName,
            NetlinkMessageConverter.Value(p, "LastAnswerLatency") as TimeSpan?);
    }

    protected override void ProcessRecord()
    {
        if (ParameterSetName == InputSet)
        {
            switch (InputObject?.BaseObject)
            {
                case NetlinkTransaction t: _statistics.Add(t); break;
                case NetlinkMessage m: Pair(m); break;
                case null: break;
                case var _ when InputObject.TypeNames.Contains(DeserializedTransaction): _statistics.Add(FactsOf(InputObject)); break;
                // A message from remoting or Import-Clixml, rebuilt from its bytes as Get-NetlinkTransaction's binding does.
                case var _ when NetlinkMessageConverter.IsDeserializedMessage(InputObject) && NetlinkMessageConverter.From(InputObject) is { } rebuilt:
                    Pair(rebuilt);
                    break;
                case var other:
                    WriteError(new ErrorRecord(new PSArgumentException(
                        $"Measure-NetlinkTransaction takes NetlinkTransaction objects (from Get-NetlinkTransaction) or NetlinkMessage objects, not {other.GetType().Name}."),
                        "TransactionWrongInput", ErrorCategory.InvalidType, other));
                    break;
            }
            return;
        }
        _decoder ??= new NetlinkDecoder();
        bool literal = ParameterSetName == LiteralPathSet;
        foreach (var message in CapturePaths.Messages(this, literal ? LiteralPath : Path, literal, _decoder))
        {
            if (_stopping) return;
            // As Get-NetlinkMessage -Path says it: a malformed message is paired as it reads, and told.
            if (message.IsMalformed) WriteError(ErrorRecords.Malformed(message));
            Pair(message);
        }
    }

    private void Pair(NetlinkMessage message)
    {
        _tracker ??= new TransactionTracker(new TransactionTrackerOptions { Timeout = Timeout });
        _tracker.Add(message, _completed);
        foreach (var t in _completed) _statistics.Add(t);
        _completed.Clear();
    }

    protected override void EndProcessing()
    {
        if (_tracker is not null)
        {
            _tracker.Complete(_completed);
            foreach (var t in _completed) _statistics.Add(t);
            _completed.Clear();
        }
        foreach (var group in _statistics.Results()) WriteObject(group);
    }

    protected override void StopProcessing() => _stopping = true;
}
