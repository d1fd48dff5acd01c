using System.Diagnostics;

namespace NlmonPS.Tests.Trace;

/// <summary>Processes the tests start and inspect, outside this process' own children (see <see cref="SpawnDetached"/>).</summary>
public static class TraceProcesses
{
    /// <summary>
    /// Starts a shell command as a grandchild (its parent shell exits at once) and returns its pid. A child of the
    /// test process itself would also be waited for by .NET, which reaps its own children on every SIGCHLD; a
    /// process to attach to must not be one.
    /// </summary>
    public static int SpawnDetached(string command)
    {
        var psi = new ProcessStartInfo("/bin/sh", new[] { "-c", $"( {command} ) </dev/null >/dev/null 2>&1 & echo $!" }) { RedirectStandardOutput = true };
        using var p = Process.Start(psi)!;
        var pid = int.Parse(p.StandardOutput.ReadToEnd().Trim(), System.Globalization.CultureInfo.InvariantCulture);
        p.WaitForExit();
        return pid;
    }

    public static bool IsAlive(int pid) => File.Exists($"/proc/{pid}/status") && State(pid) is not ('Z' or 'X' or null);

    /// <summary>The one-letter state of /proc/PID/status (R, S, T, t for tracing stop, Z...).</summary>
    public static char? State(int pid) => Field(pid, "State:") is { Length: > 0 } s ? s[0] : null;

    public static int? TracerPid(int pid) => Field(pid, "TracerPid:") is { } s && int.TryParse(s, out var v) ? v : null;

    private static string? Field(int pid, string name)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
                if (line.StartsWith(name, StringComparison.Ordinal)) return line[name.Length..].Trim();
        }
        catch (IOException) { }
        return null;
    }

    public static void Kill(int pid)
    {
        try { Process.GetProcessById(pid).Kill(entireProcessTree: true); }
        catch (ArgumentException) { }
        catch (InvalidOperationException) { }
    }

    /// <summary>The pid in "... as process N." of the cmdlet's verbose stream.</summary>
    public static int TracedPid(IEnumerable<string> verbose)
    {
        foreach (var line in verbose)
        {
            var m = System.Text.RegularExpressions.Regex.Match(line, @"(?:as process|to process) (\d+)");
            if (m.Success) return int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        }
        throw new InvalidOperationException("no pid in the verbose stream: " + string.Join(" | ", verbose));
    }
}

/// <summary>
/// A small C program built with gcc for the tests that iproute2 cannot do: several threads talking netlink at once,
/// and a generic netlink request to a family id it never resolves.
/// </summary>
public static class NetlinkTestProgram
{
    private const string Source = """
        #include <linux/netlink.h>
        #include <linux/rtnetlink.h>
        #include <pthread.h>
        #include <stdlib.h>
        #include <string.h>
        #include <sys/socket.h>
        #include <sys/uio.h>
        #include <unistd.h>

        /* One dump (or, for generic netlink, one request) on a fresh unbound socket; reads to DONE or the ACK. */
        static int dump(int proto, int type, int seq, unsigned char cmd, int flags)
        {
            int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, proto);
            if (fd < 0) return 1;
            struct { struct nlmsghdr h; unsigned char body[4]; } req;
            memset(&req, 0, sizeof req);
            req.h.nlmsg_len = sizeof req;
            req.h.nlmsg_type = type;
            req.h.nlmsg_flags = NLM_F_REQUEST | flags;
            req.h.nlmsg_seq = seq;
            req.body[0] = cmd;
            req.body[1] = 1;
            struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
            if (sendto(fd, &req, sizeof req, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) return 2;
            static __thread char buf[65536];
            for (;;) {
                int n = recv(fd, buf, sizeof buf, 0);
                if (n <= 0) return 3;
                for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
                    if (h->nlmsg_type == NLMSG_DONE) { close(fd); return 0; }
                    if (h->nlmsg_type == NLMSG_ERROR) { close(fd); return ((struct nlmsgerr *)NLMSG_DATA(h))->error ? 4 : 0; }
                }
            }
        }

        static void *worker(void *arg)
        {
            long i = (long)arg;
            usleep(20000);
            return (void *)(long)dump(NETLINK_ROUTE, RTM_GETLINK, 100 + (int)i, 0, NLM_F_DUMP);
        }

        int main(int argc, char **argv)
        {
            if (argc >= 3 && !strcmp(argv[1], "threads")) {
                int n = atoi(argv[2]), rc = 0;
                pthread_t t[16];
                if (n < 1 || n > 16) return 64;
                for (long i = 0; i < n; i++) pthread_create(&t[i], 0, worker, (void *)i);
                for (int i = 0; i < n; i++) { void *r; pthread_join(t[i], &r); rc |= (int)(long)r; }
                return rc;
            }
            if (argc >= 2 && !strcmp(argv[1], "iov")) {   /* a link dump by sendmsg/recvmsg, then by writev/readv, split over iovecs */
                int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
                if (fd < 0) return 1;
                for (int round = 0; round < 2; round++) {
                    struct { struct nlmsghdr h; struct rtgenmsg g; } req;
                    memset(&req, 0, sizeof req);
                    req.h.nlmsg_len = sizeof req;
                    req.h.nlmsg_type = RTM_GETLINK;
                    req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
                    req.h.nlmsg_seq = 42 + round;
                    struct iovec out[2] = { { &req.h, sizeof req.h }, { &req.g, sizeof req - sizeof req.h } };
                    struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
                    struct msghdr m = { .msg_name = &kernel, .msg_namelen = sizeof kernel, .msg_iov = out, .msg_iovlen = 2 };
                    if ((round ? writev(fd, out, 2) : sendmsg(fd, &m, 0)) != (ssize_t)sizeof req) return 2;
                    static char a[16], b[100], c[65536], all[sizeof a + sizeof b + sizeof c];
                    for (int done = 0; !done; ) {
                        struct iovec in[3] = { { a, sizeof a }, { b, sizeof b }, { c, sizeof c } };
                        struct msghdr r = { .msg_iov = in, .msg_iovlen = 3 };
                        int n = round ? readv(fd, in, 3) : recvmsg(fd, &r, 0);
                        if (n <= 0) return 3;
                        memcpy(all, a, sizeof a); memcpy(all + sizeof a, b, sizeof b); memcpy(all + sizeof a + sizeof b, c, sizeof c);
                        for (struct nlmsghdr *h = (struct nlmsghdr *)all; NLMSG_OK(h, n); h = NLMSG_NEXT(h, n))
                            if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) done = 1;
                    }
                }
                return 0;
            }
            if (argc >= 3 && !strcmp(argv[1], "genl"))   /* genl FAMILY-ID: a dump of command 1, family never resolved */
                return dump(NETLINK_GENERIC, atoi(argv[2]), 7, 1, NLM_F_DUMP);
            return 64;
        }
        """;

    private static readonly Lazy<string> Built = new(Build);

    /// <summary>The path of the built program (named nltest, so its comm is "nltest").</summary>
    public static string Path => Built.Value;

    private static string Build()
    {
        var gcc = new[] { "/usr/bin/gcc", "/usr/bin/cc", "/usr/local/bin/gcc" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("gcc is needed to build the multi-threaded netlink test program (apt-get install gcc; CI installs it).");
        var dir = Directory.CreateTempSubdirectory("nlmonps-nltest-").FullName;
        var source = System.IO.Path.Combine(dir, "nltest.c");
        var binary = System.IO.Path.Combine(dir, "nltest");
        File.WriteAllText(source, Source);
        var psi = new ProcessStartInfo(gcc, new[] { "-O1", "-pthread", "-o", binary, source }) { RedirectStandardError = true, RedirectStandardOutput = true };
        using var p = Process.Start(psi)!;
        var errors = p.StandardError.ReadToEnd() + p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException("gcc failed: " + errors);
        return binary;
    }

    /// <summary>A generic netlink family's id as iproute2's genl tool reports it (independent of NlmonPS).</summary>
    public static int FamilyId(string name)
    {
        var psi = new ProcessStartInfo("genl", new[] { "ctrl", "get", "name", name }) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var text = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        var m = System.Text.RegularExpressions.Regex.Match(text, @"ID:\s*0x([0-9a-fA-F]+)");
        if (!m.Success) throw new InvalidOperationException($"genl ctrl get name {name}: {text}");
        return Convert.ToInt32(m.Groups[1].Value, 16);
    }
}
