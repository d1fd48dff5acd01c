using System.Collections;
using System.Diagnostics;
using System.Management.Automation;
using NlmonPS.Decoding;
using NlmonPS.KernelClients;
using NlmonPS.Tracing;
using NlmonPS.Wire;

namespace NlmonPS.Cmdlets;

/// <summary>
/// Runs a command under ptrace (or attaches to a running process) and writes every netlink message it sends and
/// receives, decoded, to the pipeline as it happens: no nlmon, no CAP_NET_ADMIN, any kernel from 5.3 on.
/// The direction is known (the syscall tells) and each message carries the process and thread that moved it.
/// </summary>
[Cmdlet(VerbsDiagnostic.Trace, "NetlinkCommand", DefaultParameterSetName = ScriptBlockSet)]
[OutputType(typeof(NetlinkMessage))]
public sealed class TraceNetlinkCommandCommand : PSCmdlet, IDisposable
{
    private const string ScriptBlockSet = "ScriptBlock";
    private const string FilePathSet = "FilePath";
    private const string ProcessIdSet = "ProcessId";
    private static readonly TimeSpan PumpInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>One native command line, e.g. { ip -d link show }: see <see cref="NativeCommandLine"/> for the rule.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = ScriptBlockSet)]
    [ValidateNotNull]
    public ScriptBlock ScriptBlock { get; set; } = null!;

    /// <summary>The program: a name looked up in PATH, or a path (relative to the current location).</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = FilePathSet)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ProgramInPathCompleter))]
    public string FilePath { get; set; } = "";

    /// <summary>The program's arguments, each passed as is (no shell, no splitting).</summary>
    [Parameter(Position = 1, ParameterSetName = FilePathSet)]
    [Alias("Args")]
    [AllowEmptyString]
    [AllowEmptyCollection]
    public string[] ArgumentList { get; set; } = Array.Empty<string>();

    /// <summary>Attach to this running process (and what it starts from now on); detach when done.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ProcessIdSet)]
    [Alias("Id")]
    [ValidateRange(1, int.MaxValue)]
    public int ProcessId { get; set; }

    [Parameter]
    public NetlinkProtocol[]? Protocol { get; set; }

    [Parameter]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(MessageTypeCompleter))]
    public string[]? MessageType { get; set; }

    /// <summary>A Where-Object condition judged as each message is decoded: { $_.Attributes.ifname -eq 'lo' }.</summary>
    [Parameter]
    public ScriptBlock? Filter { get; set; }

    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int Count { get; set; }

    /// <summary>Stop tracing after this long: seconds (-Duration 10) or a TimeSpan.</summary>
    [Parameter]
    [SecondsToTimeSpan]
    public TimeSpan Duration { get; set; }

    [Parameter]
    public Hashtable? GenericFamily { get; set; }

    [Parameter]
    public SwitchParameter RevealSecrets { get; set; }

    /// <summary>
    /// Where the started command's output goes: Stream (the default: each line of its stdout and stderr becomes an
    /// InformationRecord tagged stdout or stderr, stdin is /dev/null), None (/dev/null), or Host (this process's own
    /// terminal, as before; refused in a remote session, where those descriptors are the remoting channel).
    /// </summary>
    [Parameter(ParameterSetName = ScriptBlockSet)]
    [Parameter(ParameterSetName = FilePathSet)]
    public CommandOutput CommandOutput { get; set; } = CommandOutput.Stream;

    private readonly object _sync = new();
    private NetlinkTracer? _tracer;
    private volatile bool _stopping;
    private MessageFilter _filter = null!;
    private NetlinkDecoder _decoder = null!;
    private long _records;
    private NetlinkMessage? _lastKernelError;

    protected override void BeginProcessing()
    {
        DurationParameter.Check(this, Duration);
        var families = GetNetlinkMessageCommand.ParseFamilyMap(GenericFamily, this);
        if (MessageTypeNames.Check(MessageType, Protocol, families?.Values) is { } unknown)
            ThrowTerminatingError(unknown);
        _filter = new MessageFilter(Protocol, MessageType, Count);
        _filter.UseFilter(Filter, this);
        _filter.PushDownWhereObject(this);
        _filter.HandToExport(this);
        _decoder = new NetlinkDecoder(new DecodeOptions
        {
            RevealSecrets = RevealSecrets,
            GenericFamilies = families,
        });
        // The family ids the trace teaches (and the kernel's, below), to judge generic messages by family and command.
        _filter.GenericFamilies = _decoder.Context.GenericFamilies;
    }

    protected override void ProcessRecord()
    {
        // What to run, before anything starts: a script block that is not a command line is a usage error.
        string? program = null, target = null;
        IReadOnlyList<string> arguments = Array.Empty<string>();
        if (ParameterSetName == ScriptBlockSet)
        {
            NativeCommandLine line;
            try
            {
                line = NativeCommandLine.FromScriptBlock(ScriptBlock, Evaluate, Resolve, NativeCommandLine.BarewordExpansion(SessionState));
            }
            catch (NativeCommandLineException e)
            {
                ThrowTerminatingError(ErrorRecords.InvalidScriptBlock(e, ScriptBlock));
                return;
            }
            program = line.ResolvedPath ?? line.Program;
            arguments = line.Arguments;
            target = line.ToString();
        }
        else if (ParameterSetName == FilePathSet)
        {
            // A path is the session's (relative to its location, ~ its home); a bare name is looked up in PATH.
            program = FilePath.Contains('/') ? SessionState.Path.GetUnresolvedProviderPathFromPSPath(FilePath) : FilePath;
            arguments = ArgumentList ?? Array.Empty<string>();
            target = NativeCommandLine.Describe(FilePath, arguments);
        }

        if (program is not null && CommandOutput == CommandOutput.Host && IsRemoteSession)
            ThrowTerminatingError(ErrorRecords.HostOutputInRemoteSession(target));

        LearnKernelFamilies();

        NetlinkTracer tracer;
        try
        {
            tracer = program is null
                ? NetlinkTracer.Attach(ProcessId)
                : NetlinkTracer.Start(program, arguments, SessionState.Path.CurrentFileSystemLocation.ProviderPath, CommandOutput);
        }
        catch (TraceException e)
        {
            // Nothing was traced and nothing can be: the call cannot go on (as pwsh's own CommandNotFoundException).
            ThrowTerminatingError(ErrorRecords.From(e, program is null ? ProcessId
                : e.Kind is TraceErrorKind.CommandNotFound or TraceErrorKind.CommandNotExecutable ? program : target));
            return;
        }
        lock (_sync)
        {
            _tracer = tracer;
            if (_stopping) tracer.Stop();
        }
        WriteVerbose(program is null
            ? $"Attached to process {tracer.ProcessId}; Ctrl+C, -Duration or -Count detaches and leaves it running."
            : $"Tracing '{target}' as process {tracer.ProcessId}.");
        WriteVerbose("Tracing mode: " + tracer.ModeDescription + ".");

        _outputSource = target ?? program;
        var ending = Pump(tracer);
        if (ending != Ending.Stopped)
        {
            // The command's last lines may still be in the pipes: wait briefly for every writer to be gone.
            tracer.WaitForOutputEnd(OutputDrainTimeout);
            WriteOutput(tracer);
        }
        Report(tracer, target, ending);
    }

    /// <summary>Why the trace ended.</summary>
    private enum Ending { Completed, Count, Duration, Stopped }

    /// <summary>Takes the engine's events on the pipeline thread (WriteObject must not run elsewhere), decoding as they come.</summary>
    private Ending Pump(NetlinkTracer tracer)
    {
        var clock = Stopwatch.StartNew();
        bool timedOut = false;
        while (true)
        {
            if (_stopping) return Ending.Stopped;
            WriteOutput(tracer);
            var wait = PumpInterval;
            if (Duration > TimeSpan.Zero && !timedOut)
            {
                var left = Duration - clock.Elapsed;
                if (left <= TimeSpan.Zero)
                {
                    // Time is up: end the trace, then still emit what was captured before that.
                    timedOut = true;
                    tracer.Stop();
                }
                else if (left < wait)
                {
                    wait = left;
                }
            }
            if (tracer.TryTake(out var io, wait))
            {
                Emit(io);
                if (_filter.IsComplete)
                {
                    tracer.Stop();
                    return Ending.Count;
                }
            }
            else if (tracer.IsCompleted)
            {
                return timedOut ? Ending.Duration : Ending.Completed;
            }
        }
    }

    private static readonly TimeSpan OutputDrainTimeout = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan DetachTimeout = TimeSpan.FromSeconds(60);
    private static readonly string[] StdoutTags = { "NlmonPS.CommandOutput", "stdout" };
    private static readonly string[] StderrTags = { "NlmonPS.CommandOutput", "stderr" };
    private string? _outputSource;

    /// <summary>
    /// The command's lines so far, into the Information stream: never this process's descriptors, which over SSH
    /// remoting are the session's channel. `6>&amp;1` or -InformationVariable collects them, -InformationAction
    /// Continue shows them.
    /// </summary>
    private void WriteOutput(NetlinkTracer tracer)
    {
        while (tracer.TryTakeOutput(out var line))
        {
            var record = new InformationRecord(line.Text, _outputSource);
            foreach (var tag in line.IsError ? StderrTags : StdoutTags) record.Tags.Add(tag);
            WriteInformation(record);
        }
    }

    /// <summary>In a remote session (pwsh as an SSH subsystem, WinRM, a job) this process's stdout is the channel.</summary>
    private bool IsRemoteSession => Host.Name is "ServerRemoteHost";

    private void Emit(TracedNetlinkIo io)
    {
        var protocol = (NetlinkProtocol)io.NetlinkProtocol;
        var record = new NetlinkRecord(io.Data, protocol)
        {
            Timestamp = io.Timestamp,
            Source = $"trace:{io.ProcessName}[{io.ProcessId}]",
            RecordNumber = ++_records,
            Direction = io.Direction,
            ProcessId = io.ProcessId,
            ProcessName = io.ProcessName,
            ThreadId = io.ThreadId,
        };
        if (io.Truncated)
            WriteVerbose($"{io.ProcessName}[{io.ProcessId}] {io.Syscall} on fd {io.FileDescriptor}: the kernel had more bytes than the buffer held; the last message of record {record.RecordNumber} is cut short.");
        // Generic netlink is always decoded: nlctrl replies teach family ids for the rest of the trace.
        if (!_filter.WantsProtocol(protocol) && protocol != NetlinkProtocol.Generic) return;
        foreach (var message in _decoder.Decode(record, _filter.TypeTest, _filter.BytesTest))
        {
            if (message.Type == Nl.NLMSG_ERROR && message.Error is { IsAck: false } && message.Direction == NetlinkDirection.FromKernel)
                _lastKernelError = message;
            _filter.Write(message, this);
            if (_filter.IsComplete) return;
        }
    }

    private void Report(NetlinkTracer tracer, string? commandLine, Ending ending)
    {
        if (ending == Ending.Stopped) return; // Ctrl+C: the pipeline is going away; Dispose finishes the stop
        if (tracer.Error is { } error)
            WriteError(ErrorRecords.From(error, commandLine ?? (object)tracer.ProcessId));

        string summary = $"{_records} netlink buffers, {_filter.Emitted} messages written";
        if (_filter.Where is { } where) WriteVerbose(where.Describe());
        if (_filter.Downstream is { } downstream) WriteVerbose(downstream.Describe());
        if (tracer.IsAttached)
        {
            // Stop waited 10 s for the detach; a very slow machine (an emulated guest) may need longer. Say
            // "detached" only once it is done, so a script that goes on finds the process untraced.
            if (!tracer.WaitForCompletion(DetachTimeout))
            {
                WriteWarning($"Process {tracer.ProcessId} is still being detached after {DetachTimeout.TotalSeconds:0} s more; it may stay traced (TracerPid in /proc/{tracer.ProcessId}/status) until that ends. {summary}.");
                return;
            }
            if (ending == Ending.Completed && tracer.HasExited)
                WriteVerbose($"Process {tracer.ProcessId} exited ({Describe(tracer.ExitCode, tracer.TerminatingSignal)}); {summary}.");
            else
                WriteVerbose($"Detached from process {tracer.ProcessId} ({(ending == Ending.Completed ? "its traced children ended" : "-" + ending)}); it keeps running. {summary}.");
            return;
        }

        int? exitCode = tracer.ExitCode, signal = tracer.TerminatingSignal;
        if (exitCode is null && signal is null)
        {
            WriteVerbose($"'{commandLine}' ({tracer.ProcessId}): no exit status; {summary}.");
            return;
        }
        // -Count or -Duration came as the command was exiting by itself: its exit is what it said, reported as such.
        if (ending is Ending.Count or Ending.Duration && exitCode is not null) ending = Ending.Completed;
        if (ending is Ending.Count or Ending.Duration)
        {
            // Stopped by the trace, not ended by itself: $LASTEXITCODE stays as it was, as pwsh leaves it for a native
            // command a downstream Select-Object -First stopped (the kill's 137 would read as the command failing).
            WriteVerbose($"-{ending} ended the trace: '{commandLine}' ({tracer.ProcessId}) was stopped ({Describe(exitCode, signal)}); {summary}.");
            return;
        }
        // Like a native command: $LASTEXITCODE is the exit code, or 128 + the signal as shells report it.
        SessionState.PSVariable.Set("global:LASTEXITCODE", exitCode ?? 128 + signal!.Value);
        WriteVerbose($"'{commandLine}' ({tracer.ProcessId}) {Describe(exitCode, signal)}; {summary}.");
        if (exitCode != 0)
            WriteError(ErrorRecords.CommandFailed(commandLine!, tracer.ProcessId, exitCode, signal, _lastKernelError));
    }

    private static string Describe(int? exitCode, int? signal) =>
        signal is int s ? $"killed by signal {s} ({TraceErrors.SignalName(s)})" : $"exited with code {exitCode}";

    private void LearnKernelFamilies()
    {
        try
        {
            // Traffic of a family the traced command never resolves in the trace still decodes by name.
            var families = NlctrlFamilyDump.Query(timeoutMs: 2000);
            foreach (var (id, name) in families) _decoder.Context.GenericFamilies.Learn(id, name);
            WriteVerbose($"The running kernel has {families.Count} generic netlink families; their traffic decodes by name.");
        }
        catch (Exception e) when (NlctrlFamilyDump.IsFault(e))
        {
            WriteVerbose($"Could not list the kernel's generic netlink families ({e.Message}); families the trace resolves still decode by name.");
        }
    }

    /// <summary>An argument expression of the script block, evaluated in the caller's scope.</summary>
    private IEnumerable<object?> Evaluate(string expression) => SessionState.InvokeCommand.InvokeScript(expression).Select(o => (object?)o);

    /// <summary>What PowerShell would run for a command name (alias, function, cmdlet, script, program).</summary>
    private CommandInfo? Resolve(string name, CommandTypes types)
    {
        try
        {
            return SessionState.InvokeCommand.GetCommand(name, types);
        }
        catch (Exception e) when (e is CommandNotFoundException or PSArgumentException or InvalidOperationException)
        {
            return null;
        }
    }

    protected override void StopProcessing()
    {
        NetlinkTracer? tracer;
        lock (_sync)
        {
            _stopping = true;
            tracer = _tracer;
        }
        tracer?.Stop(); // started: kill the traced tree; attached: detach, the process keeps running
    }

    public void Dispose()
    {
        NetlinkTracer? tracer;
        lock (_sync)
        {
            tracer = _tracer;
            _tracer = null;
        }
        tracer?.Dispose();
    }
}
