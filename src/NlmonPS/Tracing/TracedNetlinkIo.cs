using NlmonPS.Decoding;

namespace NlmonPS.Tracing;

/// <summary>
/// The bytes one syscall moved through an AF_NETLINK socket of a traced process (for sendmmsg and
/// recvmmsg: one message header). Raw on purpose: decoding into netlink messages is done elsewhere,
/// and <see cref="Data"/> may hold several netlink messages back to back (a dump reply batch).
/// </summary>
internal sealed class TracedNetlinkIo
{
    /// <summary>When the syscall returned (UTC).</summary>
    public DateTimeOffset Timestamp { get; init; }

    /// <summary>Thread group id (what ps shows as PID).</summary>
    public int ProcessId { get; init; }

    /// <summary>Kernel thread id of the calling thread (equals ProcessId on the main thread).</summary>
    public int ThreadId { get; init; }

    /// <summary>/proc/PID/comm of the process at the time (refreshed after exec).</summary>
    public string ProcessName { get; init; } = "";

    /// <summary>
    /// ToKernel for sendto/sendmsg/sendmmsg/write/writev (bytes the process handed to the kernel),
    /// FromKernel for recvfrom/recvmsg/recvmmsg/read/readv (bytes the kernel copied into the process).
    /// Never Unknown: the syscall tells.
    /// </summary>
    public NetlinkDirection Direction { get; init; }

    /// <summary>NETLINK_* protocol of the socket (0 = NETLINK_ROUTE, 16 = NETLINK_GENERIC...); -1 if it could not be determined.</summary>
    public int NetlinkProtocol { get; init; }

    /// <summary>The socket's own port id (nl_pid after bind/autobind); 0 if unknown.</summary>
    public uint PortId { get; init; }

    /// <summary>The file descriptor in the traced process: tells sockets apart when PortId is unknown.</summary>
    public int FileDescriptor { get; init; }

    /// <summary>Syscall name: sendto, sendmsg, sendmmsg, write, writev, recvfrom, recvmsg, recvmmsg, read, readv.</summary>
    public string Syscall { get; init; } = "";

    /// <summary>
    /// Exactly the bytes transferred: for sends the first return-value bytes of the buffers; for
    /// receives what the kernel wrote into the buffers (never more than the buffers hold).
    /// </summary>
    public byte[] Data { get; init; } = [];

    /// <summary>
    /// The kernel had more bytes than the receive buffers held (MSG_TRUNC), or Data was capped by the
    /// tracer: the last netlink message in Data is then incomplete.
    /// </summary>
    public bool Truncated { get; init; }

    public override string ToString() =>
        $"{Timestamp:HH:mm:ss.ffffff} {ProcessName}[{ProcessId}/{ThreadId}] {Syscall} {Direction} proto={NetlinkProtocol} port={PortId} fd={FileDescriptor} {Data.Length} bytes{(Truncated ? " (truncated)" : "")}";
}
