using System.Management.Automation;
using NlmonPS.Conversation;
using NlmonPS.Decoding;

namespace NlmonPS.Cmdlets;

/// <summary>
/// Pairs netlink requests with the kernel's answers (from the pipeline: Get-NetlinkMessage, live or from files, and
/// Trace-NetlinkCommand; or from capture files) and writes one transaction per request as soon as it is complete.
/// </summary>
[Cmdlet(VerbsCommon.Get, "NetlinkTransaction", DefaultParameterSetName = MessageSet)]
[OutputType(typeof(NetlinkTransaction))]
public sealed class GetNetlinkTransactionCommand : PSCmdlet
{
    private const string MessageSet = "Message", PathSet = "Path", LiteralPathSet = "LiteralPath";

    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = MessageSet)]
    public NetlinkMessage? InputObject { get; set; }

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = Array.Empty<string>();

    [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "LP")]
    [ValidateNotNullOrEmpty]
    public string[] LiteralPath { get; set; } = Array.Empty<string>();

    /// <summary>How long (stream time) a request waits for its next answer before it is given up: a TimeSpan or seconds.</summary>
    [Parameter]
    [SecondsToTimeSpan]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How many requests may wait at once; past it the one quiet longest is given up.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int MaximumPending { get; set; } = 10000;

    private TransactionTracker _tracker = null!;
    private readonly List<NetlinkTransaction> _completed = new();
    private NetlinkDecoder? _decoder;
    private volatile bool _stopping;

    protected override void BeginProcessing()
    {
        TransactionTimeoutParameter.Check(this, Timeout);
        _tracker = new TransactionTracker(new TransactionTrackerOptions { Timeout = Timeout, MaximumPending = MaximumPending });
    }

    protected override void ProcessRecord()
    {
        if (ParameterSetName == MessageSet)
        {
            if (InputObject is not null) Take(InputObject);
            return;
        }
        // One decoder for every file: a capture rotated into several files is one conversation.
        _decoder ??= new NetlinkDecoder();
        bool literal = ParameterSetName == LiteralPathSet;
        foreach (var message in CapturePaths.Messages(this, literal ? LiteralPath : Path, literal, _decoder))
        {
            if (_stopping) return;
            // As Get-NetlinkMessage -Path says it: a malformed message is paired as it reads, and told.
            if (message.IsMalformed) WriteError(ErrorRecords.Malformed(message));
            Take(message);
        }
    }

    private void Take(NetlinkMessage message)
    {
        _tracker.Add(message, _completed);
        Flush();
    }

    private void Flush()
    {
        foreach (var t in _completed)
        {
            if (t.Status is TransactionStatus.NoAnswer or TransactionStatus.Incomplete) _unanswered++;
            WriteObject(t);
        }
        _completed.Clear();
    }

    private long _unanswered;

    protected override void EndProcessing()
    {
        _tracker.Complete(_completed);
        Flush();
        if (_unanswered > 0)
            WriteWarning($"{_unanswered} request(s) got no answer or only part of it (status NoAnswer or Incomplete). Requests given up: " +
                $"{_tracker.TimedOut} after waiting longer than -Timeout ({Timeout.TotalSeconds:0.###} s of capture time), " +
                $"{_tracker.Evicted} past -MaximumPending ({MaximumPending}), {_tracker.Unfinished} still waiting when the messages ended.");
    }

    protected override void StopProcessing() => _stopping = true;
}
