using System.Collections;
using System.Diagnostics;
using System.Management.Automation;
using NlmonPS.Capture;
using NlmonPS.Decoding;
using NlmonPS.Wire;

namespace NlmonPS.Cmdlets;

/// <summary>
/// Reads netlink messages from capture files (and, with no path, live from an nlmon device) and writes each one,
/// decoded, to the pipeline as soon as it is read.
/// </summary>
[Cmdlet(VerbsCommon.Get, "NetlinkMessage", DefaultParameterSetName = LiveSet)]
[OutputType(typeof(NetlinkMessage))]
public sealed partial class GetNetlinkMessageCommand : PSCmdlet, IDisposable
{
    private const string PathSet = "Path";
    private const string LiteralPathSet = "LiteralPath";

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = Array.Empty<string>();

    [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "LP")]
    [ValidateNotNullOrEmpty]
    public string[] LiteralPath { get; set; } = Array.Empty<string>();

    /// <summary>
    /// Protocol names ("Route", "SOCK_DIAG", "NETLINK_GENERIC") or numbers. Text rather than the enum so completion
    /// can offer only what nlmon passes when capturing live (PowerShell completes an enum parameter with every value).
    /// </summary>
    [Parameter]
    [ArgumentCompleter(typeof(NetlinkProtocolCompleter))]
    public string[]? Protocol { get; set; }

    private NetlinkProtocol[]? _protocols;

    [Parameter]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(MessageTypeCompleter))]
    public string[]? MessageType { get; set; }

    /// <summary>A Where-Object condition judged inside the reader: { $_.Attributes.ifname -like 'veth*' }.</summary>
    [Parameter]
    public ScriptBlock? Filter { get; set; }

    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int Count { get; set; }

    [Parameter]
    public ByteOrder? ByteOrder { get; set; }

    [Parameter]
    [ArgumentCompleter(typeof(GenericFamilyCompleter))]
    public Hashtable? GenericFamily { get; set; }

    [Parameter]
    public SwitchParameter RevealSecrets { get; set; }

    private MessageFilter _filter = null!;
    private DecodeOptions _options = null!;
    private MergedCapture? _capture;

    protected override void BeginProcessing()
    {
        _protocols = NetlinkProtocolNames.Parse(Protocol, out var badProtocol);
        if (badProtocol is not null) ThrowTerminatingError(badProtocol);
        // The family map first: -MessageType may name the families it adds, and a bad map is the error to see.
        var families = ParseFamilyMap(GenericFamily, this);
        if (MessageTypeNames.Check(MessageType, _protocols, families?.Values) is { } unknown)
            ThrowTerminatingError(unknown);
        _filter = new MessageFilter(_protocols, MessageType, Count);
        _filter.UseFilter(Filter, this);
        _filter.PushDownWhereObject(this);
        _filter.HandToExport(this);
        _options = new DecodeOptions
        {
            RevealSecrets = RevealSecrets,
            ByteOrder = ByteOrder,
            GenericFamilies = families,
        };
    }

    protected override void ProcessRecord()
    {
        if (ParameterSetName == LiveSet) { CaptureLive(); return; }
        if (!_filter.IsComplete) ReadFiles();
    }

    protected override void EndProcessing()
    {
        if (_filter.Where is { } where) WriteVerbose(where.Describe());
        if (_filter.Downstream is { } downstream) WriteVerbose(downstream.Describe());
    }

    /// <summary>
    /// The files of this call (one -Path, or one path from the pipeline) as one stream merged by time, with one decoder:
    /// a rotated capture reads as the capture it was (what its first file taught, such as generic family ids, names
    /// what the later ones hold).
    /// </summary>
    private void ReadFiles()
    {
        using var capture = _capture = new MergedCapture(this, ResolvePaths());
        try
        {
            var decoder = new NetlinkDecoder(_options);
            _filter.GenericFamilies = decoder.Context.GenericFamilies;
            var progress = new ProgressRecord(1, "Get-NetlinkMessage", "Reading capture files");
            var clock = Stopwatch.StartNew();
            long nextProgress = 500;
            var decoded = new List<NetlinkMessage>();   // one list for every part of every record, handed on at once
            foreach (var (record, file) in capture.Records())
            {
                // Generic netlink records are always looked at: their nlctrl messages teach family ids for later records.
                if (_filter.WantsProtocol(record.Protocol) || record.Protocol == NetlinkProtocol.Generic)
                {
                    foreach (var part in capture.DecodeParts(decoder, record, file, _filter.TypeTest, _filter.BytesTest, decoded))
                    {
                        foreach (var message in part)
                        {
                            _filter.Write(message, this);
                            if (_filter.IsComplete) break;
                        }
                        if (_filter.IsComplete) break;
                    }
                    if (_filter.IsComplete) break;
                }
                if (clock.ElapsedMilliseconds >= nextProgress && capture.FileSize > 0)
                {
                    progress.PercentComplete = (int)Math.Min(100, capture.BytesRead * 100 / capture.FileSize);
                    progress.StatusDescription = $"{file.Path}: record {record.RecordNumber}, {_filter.Emitted} messages";
                    WriteProgress(progress);
                    nextProgress = clock.ElapsedMilliseconds + 500;
                }
            }
            if (clock.ElapsedMilliseconds >= 500)
            {
                progress.RecordType = ProgressRecordType.Completed;
                WriteProgress(progress);
            }
        }
        finally
        {
            _capture = null;
        }
    }

    private IEnumerable<string> ResolvePaths() =>
        CapturePaths.Resolve(this, ParameterSetName == LiteralPathSet ? LiteralPath : Path, ParameterSetName == LiteralPathSet);

    /// <summary>-GenericFamily's ids and names; a key that is no family id stops the cmdlet (InvalidGenericFamily).</summary>
    internal static IReadOnlyDictionary<int, string>? ParseFamilyMap(Hashtable? map, PSCmdlet cmdlet)
    {
        if (map is null) return null;
        var result = new Dictionary<int, string>();
        foreach (DictionaryEntry e in map)
        {
            var key = e.Key is PSObject pk ? pk.BaseObject : e.Key;
            if (!int.TryParse(Convert.ToString(key, System.Globalization.CultureInfo.InvariantCulture), out int id) || id < 0 || id > 0xffff)
                cmdlet.ThrowTerminatingError(new ErrorRecord(
                    new ArgumentException($"-GenericFamily keys are family ids (0-65535), as the kernel numbers them (genl ctrl list shows them): '{key}' is not. Example: -GenericFamily @{{ 27 = 'ethtool' }}."),
                    "InvalidGenericFamily", ErrorCategory.InvalidArgument, key));
            var name = Convert.ToString(e.Value is PSObject pv ? pv.BaseObject : e.Value, System.Globalization.CultureInfo.InvariantCulture);
            if (string.IsNullOrWhiteSpace(name))
                cmdlet.ThrowTerminatingError(new ErrorRecord(
                    new ArgumentException($"-GenericFamily values are family names (the kernel's own, such as 'ethtool'): family id {id} has none. Example: -GenericFamily @{{ 27 = 'ethtool' }}."),
                    "InvalidGenericFamily", ErrorCategory.InvalidArgument, e.Value));
            result[id] = name ?? "";
        }
        return result;
    }

    public void Dispose()
    {
        _capture?.Dispose();
        DisposeLive();
    }
}
