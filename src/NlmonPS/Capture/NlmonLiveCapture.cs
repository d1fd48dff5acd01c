using System.Collections.Concurrent;
using System.ComponentModel;
using NlmonPS.Decoding;
using NlmonPS.KernelClients;
using NlmonPS.Wire;

namespace NlmonPS.Capture;

/// <summary>What a live capture reads and how.</summary>
internal sealed class LiveCaptureOptions
{
    /// <summary>The nlmon device; null picks one that is up, else creates a temporary one.</summary>
    public string? InterfaceName { get; init; }
    /// <summary>Protocols the kernel filter passes; null or empty for all.</summary>
    public IReadOnlyCollection<NetlinkProtocol>? Protocols { get; init; }
    /// <summary>The size in bytes of the ring the kernel fills (TPACKET_V3): what absorbs a burst while the reading thread is not running.</summary>
    public int BufferSize { get; init; } = DefaultBufferSize;
    public const int DefaultBufferSize = 32 << 20;
    /// <summary>A namespace file (/run/netns/NAME, /proc/PID/ns/net); null for the caller's namespace.</summary>
    public string? NetNamespacePath { get; init; }
    /// <summary>Find the process behind each port id (sock_diag + /proc).</summary>
    public bool ResolveProcesses { get; init; } = true;
}

/// <summary>The device named for a capture does not exist.</summary>
internal sealed class NlmonDeviceNotFoundException : Exception
{
    public NlmonDeviceNotFoundException(string name, string message) : base(message) => Name = name;
    public string Name { get; }
}

/// <summary>The device named for a capture is down: nlmon passes nothing while down.</summary>
internal sealed class NlmonDeviceDownException : Exception
{
    public NlmonDeviceDownException(string name)
        : base($"The nlmon device '{name}' is down, so it passes no netlink messages. Bring it up with Set-NlmonDevice -Name {name} -State Up, " +
               "or leave out -InterfaceName to capture on a temporary device.") => Name = name;
    public string Name { get; }
}

/// <summary>
/// A live capture from an nlmon device through an AF_PACKET socket. A dedicated thread (inside the wanted network
/// namespace) picks or creates the device, learns the kernel's generic netlink families, opens the socket with the
/// kernel-side protocol filter and a TPACKET_V3 ring, then reads frames out of the ring, finds the process behind
/// each port id as soon as its first frame arrives, and queues records for the pipeline thread. The queue holds up
/// to <see cref="BacklogLimit"/> bytes, so a slow pipeline (formatting, a script block) does not make the kernel
/// drop: only when the queue is full does the reader stop emptying the ring, and then what the kernel drops is
/// counted (PACKET_STATISTICS). Stopping closes the socket, removes a temporary device, and returns the kernel's
/// drop count. Nothing is left behind, whichever way the capture ends.
/// </summary>
internal sealed class NlmonLiveCapture : IDisposable
{
    /// <summary>Bytes of frames (plus <see cref="RecordOverhead"/> each) queued for the pipeline at most.</summary>
    public const long BacklogLimit = 256L << 20;
    private const int RecordOverhead = 128;
    private const int HoldMs = 200;

    private readonly LiveCaptureOptions _options;
    private readonly BlockingCollection<NetlinkRecord> _queue = new();
    private long _backlogBytes;
    private readonly ManualResetEventSlim _ready = new();
    private readonly object _gate = new();
    private readonly ConcurrentQueue<string> _notes = new();
    private Thread? _thread;
    private volatile bool _stop;
    private Exception? _setupFailure;
    private NlmonDevices? _devices;
    private NetlinkPortOwners? _owners;
    private NlmonPacketSocket? _socket;
    private NlmonDevice? _temporary;
    private bool _stopped;
    private (ulong Packets, ulong Drops) _statistics;

    private NlmonLiveCapture(LiveCaptureOptions options) => _options = options;

    public string InterfaceName { get; private set; } = "";
    public int InterfaceIndex { get; private set; }
    public bool IsTemporaryDevice => _temporary is not null;
    public string NetNamespace { get; private set; } = "";
    /// <summary>Generic netlink families the kernel reported at start (id to name).</summary>
    public IReadOnlyDictionary<int, string> GenericFamilies { get; private set; } = new Dictionary<int, string>();
    /// <summary>The ring's size in bytes (whole blocks: the request rounded up).</summary>
    public int BufferSize { get; private set; }
    /// <summary>The ring's blocks and their size.</summary>
    public int BlockCount { get; private set; }
    public int BlockSize { get; private set; }
    /// <summary>Frames the kernel filter passed (dropped ones included) and frames the kernel dropped because the ring
    /// was full, so far: read every second while capturing, exact once stopped.</summary>
    public ulong KernelPackets { get; private set; }
    public ulong KernelDrops { get; private set; }
    /// <summary>The most bytes that waited in the queue for the pipeline at one time.</summary>
    public long PeakBacklogBytes { get; private set; }
    /// <summary>Why the reading thread stopped early (device gone...), or null.</summary>
    public Exception? Fault { get; private set; }
    /// <summary>True once the reading thread has ended and every queued record was taken.</summary>
    public bool IsCompleted => _queue.IsCompleted;
    public long RecordsRead { get; private set; }

    /// <summary>
    /// Starts a capture and returns once the socket is reading (or throws why it cannot: no nlmon, no
    /// permission, no such device or namespace). <paramref name="cancelled"/> is polled while the set-up runs.
    /// </summary>
    public static NlmonLiveCapture Start(LiveCaptureOptions options, Func<bool>? cancelled = null)
    {
        var capture = new NlmonLiveCapture(options);
        capture._thread = new Thread(capture.Run) { IsBackground = true, Name = "nlmonps-capture" };
        capture._thread.Start();
        while (!capture._ready.Wait(100))
        {
            if (cancelled?.Invoke() == true)
            {
                capture.Stop();
                throw new OperationCanceledException("The capture was stopped while it was being set up.");
            }
        }
        if (capture._setupFailure is { } failure)
        {
            capture.Stop();
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failure).Throw();
        }
        return capture;
    }

    /// <summary>Verbose lines from the capture thread, for the cmdlet to write on its own thread.</summary>
    public IEnumerable<string> DrainNotes()
    {
        while (_notes.TryDequeue(out var n)) yield return n;
    }

    /// <summary>The next record, waiting up to <paramref name="timeoutMs"/>; false on timeout or at the end.</summary>
    public bool TryTake(out NetlinkRecord record, int timeoutMs)
    {
        try
        {
            if (!_queue.TryTake(out record!, timeoutMs)) return false;
            Interlocked.Add(ref _backlogBytes, -(record.Data.Length + RecordOverhead));
            return true;
        }
        catch (ObjectDisposedException)
        {
            record = null!;
            return false;
        }
    }

    private void Run()
    {
        try
        {
            SetUp();
        }
        catch (Exception ex)
        {
            _setupFailure = ex;
            _queue.CompleteAdding();
            _ready.Set();
            return;
        }
        _ready.Set();
        try
        {
            Read();
        }
        catch (Exception ex)
        {
            Fault = ex;
        }
        finally
        {
            _queue.CompleteAdding();
        }
    }

    private void SetUp()
    {
        if (_options.NetNamespacePath is { } ns) NlmonNetns.EnterOnThisThread(ns);
        _devices = new NlmonDevices();
        NetNamespace = _devices.NetNamespace;
        NlmonDevice device;
        if (_options.InterfaceName is { } name)
        {
            device = _devices.Find(name) ?? throw new NlmonDeviceNotFoundException(name,
                $"There is no device '{name}' in network namespace {NetNamespace}. Create it with New-NlmonDevice -Name {name}, " +
                "or leave out -InterfaceName to capture on a temporary device.");
            if (device.State != NlmonDeviceState.Up) throw new NlmonDeviceDownException(name);
        }
        else
        {
            // Another capture's temporary device goes away when that capture ends: never borrow one.
            device = _devices.List().FirstOrDefault(d => d.State == NlmonDeviceState.Up && !NlmonDevices.IsTemporaryName(d.Name))
                ?? CreateTemporary();
        }
        InterfaceName = device.Name;
        InterfaceIndex = device.Index;

        try
        {
            GenericFamilies = NlctrlFamilyDump.Query();
            _notes.Enqueue($"Learned {GenericFamilies.Count} generic netlink families from the kernel.");
        }
        catch (Exception ex) when (NlctrlFamilyDump.IsFault(ex))
        {
            _notes.Enqueue($"Could not list the kernel's generic netlink families ({ex.Message}); they are learned from the capture instead.");
        }

        var exclude = new List<(NetlinkProtocol, uint)>();
        if (_options.ResolveProcesses)
        {
            _owners = new NetlinkPortOwners();
            if (_owners.DiagPortId is uint diag) exclude.Add((NetlinkProtocol.SockDiag, diag));
            // Warm up (JIT, the inode map) on our own socket now, so the first real lookup is fast enough to
            // catch short-lived processes.
            _owners.Resolve(NetlinkProtocol.Route, _devices.Links.PortId);
        }
        var filter = NlmonBpf.Build(_options.Protocols, exclude);
        try
        {
            _socket = new NlmonPacketSocket(device.Index, filter, _options.BufferSize);
        }
        catch (Win32Exception ex) when (ex.NativeErrorCode is Libc.EPERM or Libc.EACCES)
        {
            throw NlmonKernelModule.PermissionDenied(NlmonDevices.ReadRelease(), $"capturing from {device.Name} needs CAP_NET_RAW: {ex.Message}");
        }
        BufferSize = _socket.BufferSize;
        BlockCount = _socket.BlockCount;
        BlockSize = _socket.BlockSize;
        _notes.Enqueue($"Kernel filter: {(_options.Protocols is { Count: > 0 } p ? string.Join(", ", p) : "all protocols")}" +
            $"{(exclude.Count > 0 ? "; the capture's own sock_diag queries left out" : "")}; ring buffer {BufferSize} bytes ({BlockCount} blocks of {BlockSize}).");
    }

    private IDisposable? _exitCleanup;

    private NlmonDevice CreateTemporary()
    {
        _notes.Enqueue($"No nlmon device of its own is up in network namespace {NetNamespace} (other captures' temporary devices are not shared).");
        _temporary = _devices!.CreateTemporary(_notes.Enqueue);
        // Removed by Stop however the capture ends; if pwsh is terminated (SIGTERM), Stop runs from the signal.
        _exitCleanup = ProcessExitCleanup.Register(() => Stop());
        return _temporary;
    }

    private sealed class Held
    {
        public required NetlinkRecord Record;
        public bool AwaitsOwner;
        public uint Sequence;
        public long Since;
    }

    private void Read()
    {
        var held = new List<Held>();
        long number = 0, nextStatistics = Environment.TickCount64 + 1000;
        while (!_stop)
        {
            if (Interlocked.Read(ref _backlogBytes) >= BacklogLimit)
            {
                // The pipeline is this far behind: leave the frames in the ring (the kernel drops, and counts, when it is full).
                Release(held, force: false);
                Thread.Sleep(5);
            }
            else if (_socket!.Next(held.Count > 0 ? 20 : 100, out var info, out var frame))
            {
                // No system call while the block the kernel handed over still has frames.
                Take(frame, info, held, ++number);
            }
            Release(held, force: false);
            if (Environment.TickCount64 >= nextStatistics)
            {
                (KernelPackets, KernelDrops) = _socket!.ReadStatistics();
                nextStatistics = Environment.TickCount64 + 1000;
            }
        }
        if (_drain)
        {
            // Stopped in time (-Duration): frames the kernel has not handed over yet sit in a partly filled block,
            // which it hands over after BlockTimeoutMs; take those too.
            int wait = NlmonPacketSocket.BlockTimeoutMs * 3;
            while (_socket!.Next(wait, out var info, out var frame))
            {
                Take(frame, info, held, ++number);
                wait = 0;
            }
        }
        Release(held, force: true);
    }

    private void Take(ReadOnlySpan<byte> frame, in PacketInfo info, List<Held> held, long number)
    {
        var record = new NetlinkRecord(frame.ToArray(), (NetlinkProtocol)info.Protocol)
        {
            Timestamp = info.Timestamp,
            Source = InterfaceName,
            Device = InterfaceName,
            NetNamespace = NetNamespace,
            RecordNumber = number,
            OriginalLength = info.OriginalLength > info.Length ? info.OriginalLength : null,
        };
        RecordsRead = number;
        held.Add(Attribute(record, held));
    }

    /// <summary>
    /// Names the process behind a record. One record is one socket's send or one delivery to one socket, so its
    /// first header decides: messages from the kernel carry the destination port (for notifications, the port of
    /// the request that caused them), requests the sender's. Requests usually leave nlmsg_pid 0; they wait (at most
    /// <see cref="HoldMs"/> ms, with everything after them, so the order never changes) for the kernel's answer of
    /// the same sequence number, which names the port.
    /// </summary>
    private Held Attribute(NetlinkRecord record, List<Held> held)
    {
        var h = new Held { Record = record, Since = Environment.TickCount64 };
        if (_owners is null || record.Data.Length < Nl.HeaderLength) return h;
        var header = NetlinkHeader.Read(record.Data.Span, Endian.Host);
        bool request = (header.Flags & Nl.NLM_F_REQUEST) != 0;
        if (request && header.PortId == 0)
        {
            h.AwaitsOwner = true;
            h.Sequence = header.Sequence;
            return h;
        }
        var owner = _owners.Resolve(record.Protocol, header.PortId);
        if (owner is not null) h.Record = record with { ProcessId = owner.ProcessId, ProcessName = owner.ProcessName };
        if (!request && header.PortId != 0)
        {
            foreach (var waiting in held)
            {
                if (!waiting.AwaitsOwner || waiting.Sequence != header.Sequence || waiting.Record.Protocol != record.Protocol) continue;
                waiting.AwaitsOwner = false;
                if (owner is not null) waiting.Record = waiting.Record with { ProcessId = owner.ProcessId, ProcessName = owner.ProcessName };
                break;
            }
        }
        return h;
    }

    private void Release(List<Held> held, bool force)
    {
        int n = 0;
        long now = Environment.TickCount64;
        while (n < held.Count && (force || !held[n].AwaitsOwner || now - held[n].Since >= HoldMs))
        {
            var record = held[n++].Record;
            _queue.Add(record);
            long backlog = Interlocked.Add(ref _backlogBytes, record.Data.Length + RecordOverhead);
            if (backlog > PeakBacklogBytes) PeakBacklogBytes = backlog;
        }
        held.RemoveRange(0, n);
    }

    /// <summary>
    /// Stops reading but keeps what was read: every frame already received (and those waiting for their
    /// process) is queued for <see cref="TryTake"/>. Used when -Duration ends, so nothing read in time is lost.
    /// </summary>
    public void StopReading()
    {
        _drain = true;
        _stop = true;
        if (_thread is not null && _thread.IsAlive && Thread.CurrentThread != _thread) _thread.Join();
    }

    private volatile bool _drain;

    /// <summary>
    /// Ends the capture: stops the thread, closes the socket, removes a temporary device. Returns the frames the
    /// kernel filter passed and how many of them the kernel dropped because the ring was full. Safe to
    /// call more than once and from any thread.
    /// </summary>
    public (ulong Packets, ulong Drops) Stop()
    {
        lock (_gate)
        {
            if (_stopped) return _statistics;
            _stopped = true;
            _stop = true;
            if (_thread is not null && _thread.IsAlive && Thread.CurrentThread != _thread) _thread.Join();
            if (_socket is not null)
            {
                _socket.Dispose();
                _statistics = (_socket.Packets, _socket.Drops);
                (KernelPackets, KernelDrops) = _statistics;
            }
            if (_temporary is not null && _devices is not null)
            {
                try
                {
                    _devices.Remove(_temporary);
                    _notes.Enqueue($"Removed the temporary device {_temporary.Name}.");
                }
                catch (NetlinkKernelException ex) when (ex.Errno == Libc.ENODEV)
                {
                    // Someone deleted it during the capture (its end was told as NlmonCaptureFailed): gone is what removing wants.
                    _notes.Enqueue($"The temporary device {_temporary.Name} was already gone.");
                }
                catch (Exception ex) when (ex is NetlinkKernelException or NlmonUnavailableException or Win32Exception or TimeoutException)
                {
                    _notes.Enqueue($"Could not remove the temporary device {_temporary.Name}: {ex.Message}");
                    RemoveFailure = ex;
                }
            }
            _exitCleanup?.Dispose();
            _owners?.Dispose();
            _devices?.Dispose();
            return _statistics;
        }
    }

    /// <summary>Why the temporary device could not be removed, or null.</summary>
    public Exception? RemoveFailure { get; private set; }

    public void Dispose()
    {
        Stop();
        _ready.Dispose();
    }
}
