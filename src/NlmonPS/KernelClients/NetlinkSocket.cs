using System.ComponentModel;
using System.Runtime.InteropServices;
using NlmonPS.Decoding;
using NlmonPS.Wire;

namespace NlmonPS.KernelClients;

/// <summary>An error the kernel sent back in NLMSG_ERROR, with its extended ACK.</summary>
internal sealed class NetlinkKernelException : Exception
{
    public NetlinkKernelException(NetlinkError error, string request)
        : base($"{request}: {error}") { Error = error; }

    public NetlinkError Error { get; }
    public int Errno => Error.Errno;
}

/// <summary>
/// An AF_NETLINK socket opened through libc. Sends requests and collects the replies up to the ACK or
/// NLMSG_DONE of their sequence number. Extended ACKs are switched on so kernel errors explain themselves.
/// </summary>
internal sealed unsafe class NetlinkSocket : IDisposable
{
    private int _fd;
    private uint _sequence = (uint)Environment.TickCount;
    private byte[] _buffer = new byte[1 << 16];

    public NetlinkSocket(NetlinkProtocol protocol, uint groups = 0)
    {
        Protocol = protocol;
        _fd = Libc.socket(Libc.AF_NETLINK, Libc.SOCK_RAW | Libc.SOCK_CLOEXEC, (int)protocol);
        if (_fd < 0) throw new Win32Exception(Marshal.GetLastPInvokeError(), $"socket(AF_NETLINK, {protocol})");
        SetOption(Libc.SOL_NETLINK, Libc.NETLINK_EXT_ACK, 1);
        var addr = new Libc.SockaddrNl { Family = Libc.AF_NETLINK, Groups = groups };
        if (Libc.bind(_fd, &addr, sizeof(Libc.SockaddrNl)) < 0) Fail("bind");
        int len = sizeof(Libc.SockaddrNl);
        if (Libc.getsockname(_fd, &addr, &len) < 0) Fail("getsockname");
        PortId = addr.Pid;
    }

    public NetlinkProtocol Protocol { get; }
    /// <summary>The port id the kernel assigned this socket.</summary>
    public uint PortId { get; }
    public int Handle => _fd;

    public uint NextSequence() => ++_sequence;

    public void SetOption(int level, int name, int value)
    {
        if (Libc.setsockopt(_fd, level, name, &value, sizeof(int)) < 0) Fail($"setsockopt({level}, {name})");
    }

    /// <summary>Sets the receive buffer, forcing past rmem_max when privileged.</summary>
    public void SetReceiveBuffer(int bytes)
    {
        if (Libc.setsockopt(_fd, Libc.SOL_SOCKET, Libc.SO_RCVBUFFORCE, &bytes, sizeof(int)) < 0)
            SetOption(Libc.SOL_SOCKET, Libc.SO_RCVBUF, bytes);
    }

    public void JoinGroup(uint group) => SetOption(Libc.SOL_NETLINK, Libc.NETLINK_ADD_MEMBERSHIP, (int)group);

    public void Send(ReadOnlySpan<byte> message)
    {
        var kernel = new Libc.SockaddrNl { Family = Libc.AF_NETLINK };
        fixed (byte* p = message)
        {
            while (true)
            {
                if (Libc.sendto(_fd, p, message.Length, 0, &kernel, sizeof(Libc.SockaddrNl)) >= 0) return;
                if (Marshal.GetLastPInvokeError() != Libc.EINTR) Fail("sendto");
            }
        }
    }

    /// <summary>Receives one datagram; returns null when <paramref name="timeoutMs"/> passes first.</summary>
    public ReadOnlyMemory<byte>? Receive(int timeoutMs = -1)
    {
        while (true)
        {
            var pfd = new Libc.PollFd { Fd = _fd, Events = Libc.POLLIN };
            int ready = Libc.poll(&pfd, 1, timeoutMs);
            if (ready < 0)
            {
                if (Marshal.GetLastPInvokeError() == Libc.EINTR) continue;
                Fail("poll");
            }
            if (ready == 0) return null;
            nint n;
            fixed (byte* p = _buffer) n = Libc.recv(_fd, p, _buffer.Length, Libc.MSG_DONTWAIT);
            if (n < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno is Libc.EINTR or Libc.EAGAIN) continue;
                throw new Win32Exception(errno, "recv on netlink socket");
            }
            return _buffer.AsMemory(0, (int)n).ToArray();
        }
    }

    /// <summary>
    /// Sends a request (its sequence number is set here) and returns every reply buffer up to the matching
    /// NLMSG_DONE or ACK. A kernel error becomes a <see cref="NetlinkKernelException"/>.
    /// </summary>
    public List<NetlinkMessage> Request(MessageBuilder request, string what, int timeoutMs = 5000)
    {
        request.Sequence = NextSequence();
        request.Flags |= Nl.NLM_F_REQUEST;
        bool dump = (request.Flags & Nl.NLM_F_DUMP) == Nl.NLM_F_DUMP;
        if (!dump) request.Flags |= Nl.NLM_F_ACK;
        Send(request.ToArray());
        // The module's own clients read values out of the replies' bytes and show none of them: nothing to redact
        // (a generic family this decoder was not taught would otherwise have its longer values zeroed as possible keys).
        var decoder = new NetlinkDecoder(new DecodeOptions { RevealSecrets = true });
        var replies = new List<NetlinkMessage>();
        var deadline = Environment.TickCount64 + timeoutMs;
        while (true)
        {
            int left = (int)Math.Max(0, deadline - Environment.TickCount64);
            var data = Receive(left) ?? throw new TimeoutException($"{what}: no answer from the kernel within {timeoutMs} ms");
            foreach (var m in decoder.Decode(new NetlinkRecord(data, Protocol) { Direction = NetlinkDirection.FromKernel, Timestamp = DateTimeOffset.UtcNow }))
            {
                if (m.Sequence != request.Sequence) continue;
                if (m.Type == Nl.NLMSG_ERROR && m.Error is { } e)
                {
                    if (e.IsAck) return replies;
                    throw new NetlinkKernelException(e, what);
                }
                if (m.Type == Nl.NLMSG_DONE) return replies;
                replies.Add(m);
                if (!dump && (m.Flags & Nl.NLM_F_MULTI) == 0 && (request.Flags & Nl.NLM_F_ACK) == 0) return replies;
            }
        }
    }

    private void Fail(string call)
    {
        int errno = Marshal.GetLastPInvokeError();
        throw new Win32Exception(errno, $"{call} on netlink socket: {Errno.NameOf(errno)} {Errno.TextOf(errno)}");
    }

    public void Dispose()
    {
        if (_fd >= 0) { Libc.close(_fd); _fd = -1; }
    }
}
