using NlmonPS.Wire;

namespace NlmonPS.KernelClients;

public enum NlmonDeviceState { Down, Up }

/// <summary>One nlmon device (a link of kind "nlmon"), as Get-NlmonDevice shows it.</summary>
public sealed class NlmonDevice
{
    public string Name { get; init; } = "";
    public int Index { get; init; }
    /// <summary>Administrative state (IFF_UP). nlmon only passes messages while up.</summary>
    public NlmonDeviceState State { get; init; }
    /// <summary>Operational state (IFLA_OPERSTATE): UNKNOWN for an nlmon device that is up, DOWN otherwise.</summary>
    public string OperState { get; init; } = "";
    public uint Mtu { get; init; }
    /// <summary>Netlink messages the device passed to its taps (stats64 rx_packets).</summary>
    public ulong ReceivedPackets { get; init; }
    public ulong ReceivedBytes { get; init; }
    public ulong ReceivedDropped { get; init; }
    /// <summary>The namespace the device lives in: its name under /run/netns, else the namespace inode number.</summary>
    public string NetNamespace { get; init; } = "";
    /// <summary>The inode of that network namespace (as in /proc/PID/ns/net).</summary>
    public ulong NetNamespaceInode { get; init; }

    public override string ToString() => Name;

    internal static NlmonDevice From(LinkInfo link, ulong nsInode, string nsName) => new()
    {
        Name = link.Name,
        Index = link.Index,
        State = link.IsUp ? NlmonDeviceState.Up : NlmonDeviceState.Down,
        OperState = link.OperState,
        Mtu = link.Mtu,
        ReceivedPackets = link.Stats?.RxPackets ?? 0,
        ReceivedBytes = link.Stats?.RxBytes ?? 0,
        ReceivedDropped = link.Stats?.RxDropped ?? 0,
        NetNamespace = nsName,
        NetNamespaceInode = nsInode,
    };
}

/// <summary>A device of the requested name exists but is not of kind nlmon.</summary>
internal sealed class NotAnNlmonDeviceException : Exception
{
    public NotAnNlmonDeviceException(string name, string? kind)
        : base($"The device '{name}' exists and is not an nlmon device (its kind is {(kind is null ? "none: a physical or loopback device" : $"'{kind}'")}). " +
               "NlmonPS only manages devices of kind nlmon; choose another name.")
    {
        Name = name;
        Kind = kind;
    }

    public string Name { get; }
    public string? Kind { get; }
}

/// <summary>
/// The nlmon devices of one network namespace: list, create (loading the module when the kernel does not know
/// the kind yet), change, delete. Create it on a thread inside the wanted namespace (see <see cref="NlmonNetns.Run"/>).
/// </summary>
internal sealed class NlmonDevices : IDisposable
{
    public const string Kind = "nlmon";

    private readonly Links _links;

    public NlmonDevices()
    {
        try
        {
            _links = new Links();
        }
        catch (System.ComponentModel.Win32Exception ex) when (ex.NativeErrorCode == Libc.EPERM || ex.NativeErrorCode == Libc.EACCES)
        {
            throw NlmonKernelModule.PermissionDenied(ReadRelease(), ex.Message);
        }
        NetNamespaceInode = NlmonNetns.CurrentInode();
        NetNamespace = NlmonNetns.Describe(NetNamespaceInode);
    }

    public Links Links => _links;
    public ulong NetNamespaceInode { get; }
    public string NetNamespace { get; }

    public IEnumerable<NlmonDevice> List() =>
        _links.List().Where(l => l.Kind == Kind).OrderBy(l => l.Index).Select(Wrap);

    /// <summary>The nlmon device of that name; null when no device has the name; throws when it is not nlmon.</summary>
    public NlmonDevice? Find(string name)
    {
        var link = _links.Get(name);
        if (link is null) return null;
        if (link.Kind != Kind) throw new NotAnNlmonDeviceException(name, link.Kind);
        return Wrap(link);
    }

    public NlmonDevice Wrap(LinkInfo link) => NlmonDevice.From(link, NetNamespaceInode, NetNamespace);

    /// <summary>
    /// Creates an nlmon device, up. When the kernel answers "Unknown device type" the nlmon module is loaded and
    /// the request repeated; when it cannot be, the exception says why (<see cref="NlmonUnavailableException"/>).
    /// </summary>
    public NlmonDevice Create(string name, uint? mtu, Action<string>? verbose = null)
    {
        try
        {
            _links.Create(name, Kind, mtu, up: true);
        }
        catch (NetlinkKernelException ex) when (ex.Errno == Libc.EOPNOTSUPP)
        {
            var facts = new KernelModuleFacts();
            if (NlmonKernelModule.Diagnose(facts) is { } why) throw why;
            NlmonKernelModule.Load(facts, verbose);
            try
            {
                _links.Create(name, Kind, mtu, up: true);
            }
            catch (NetlinkKernelException again) when (again.Errno == Libc.EOPNOTSUPP)
            {
                throw new NlmonUnavailableException(NlmonUnavailableReason.Unknown, facts.Release,
                    $"The nlmon module was loaded, yet this kernel ({facts.Release}) still refuses kind nlmon ({again.Error}). {NlmonKernelModule.Alternatives}", again);
            }
        }
        catch (NetlinkKernelException ex) when (ex.Errno == Libc.EPERM)
        {
            throw NlmonKernelModule.PermissionDenied(ReadRelease(), $"RTM_NEWLINK answered {ex.Error}");
        }
        return Find(name) ?? throw new InvalidOperationException($"The kernel accepted the nlmon device '{name}', but it is gone.");
    }

    /// <summary>Changes MTU and state; returns the device as it is afterwards.</summary>
    public NlmonDevice Set(NlmonDevice device, uint? mtu, bool? up)
    {
        try
        {
            _links.Set(device.Index, mtu, up);
        }
        catch (NetlinkKernelException ex) when (ex.Errno == Libc.EPERM)
        {
            throw NlmonKernelModule.PermissionDenied(ReadRelease(), $"RTM_SETLINK answered {ex.Error}");
        }
        return Wrap(_links.Get(device.Index) ?? throw new NetlinkKernelException(new Decoding.NetlinkError { Errno = Libc.ENODEV, ErrorName = "ENODEV", Text = "No such device" }, $"RTM_GETLINK {device.Name}"));
    }

    public void Remove(NlmonDevice device)
    {
        try
        {
            _links.Delete(device.Index);
        }
        catch (NetlinkKernelException ex) when (ex.Errno == Libc.EPERM)
        {
            throw NlmonKernelModule.PermissionDenied(ReadRelease(), $"RTM_DELLINK answered {ex.Error}");
        }
    }

    /// <summary>Temporary capture devices are named nlmonps followed by digits (<see cref="CreateTemporary"/>).</summary>
    public const string TemporaryPrefix = "nlmonps";

    /// <summary>
    /// Whether a device is the temporary device of some capture (this process's or another's): that capture removes
    /// it when it ends, so no other capture may borrow it.
    /// </summary>
    public static bool IsTemporaryName(string name) =>
        name.Length > TemporaryPrefix.Length && name.StartsWith(TemporaryPrefix, StringComparison.Ordinal) &&
        name.AsSpan(TemporaryPrefix.Length).IndexOfAnyExceptInRange('0', '9') < 0;

    /// <summary>
    /// Creates a temporary device under a name no device of this namespace has. Two captures starting at once (two
    /// sessions, two hosts of one kernel) may pick the same free name: the one the kernel refuses (EEXIST) tries the next.
    /// </summary>
    public NlmonDevice CreateTemporary(Action<string>? verbose = null)
    {
        var taken = _links.List().Select(l => l.Name).ToHashSet(StringComparer.Ordinal);
        for (int i = 0, refused = 0; ; i++)
        {
            var name = $"{TemporaryPrefix}{(Environment.ProcessId + i) % 100000}";
            if (taken.Contains(name)) continue;
            try
            {
                verbose?.Invoke($"Creating the temporary nlmon device {name} for this capture.");
                return Create(name, null, verbose);
            }
            catch (NetlinkKernelException ex) when (ex.Errno == Libc.EEXIST && ++refused < 100)
            {
                // Taken since the list was made: the loop goes on with the next name.
            }
        }
    }

    internal static string ReadRelease()
    {
        try
        {
            return File.ReadAllText("/proc/sys/kernel/osrelease").Trim();
        }
        catch (IOException)
        {
            return Environment.OSVersion.Version.ToString();
        }
    }

    public void Dispose() => _links.Dispose();
}
