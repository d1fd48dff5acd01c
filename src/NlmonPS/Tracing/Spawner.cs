using System.Collections;
using System.Runtime.InteropServices;

namespace NlmonPS.Tracing;

/// <summary>
/// Starts processes with posix_spawn. System.Diagnostics.Process is not an option: the runtime reaps
/// the children it starts (stealing the wait statuses the tracer needs) and cannot stop a child
/// before exec. fork() from managed code is unsafe (other threads, GC), so the child cannot
/// PTRACE_TRACEME itself either.
/// </summary>
internal static unsafe class Spawner
{
    public const string Shell = "/bin/sh";

    /// <summary>
    /// The target is started as  /bin/sh -c 'kill -STOP $$; [cd DIR;] exec "$@"' nlmonps-trace [DIR] PATH ARGS...
    /// The shell stops itself before exec; the tracer PTRACE_SEIZEs it (it is our child, so Yama
    /// ptrace_scope=1 allows it), swallows that SIGSTOP, and the exec of the real command is then the
    /// first thing traced (PTRACE_EVENT_EXEC): nothing the command does is missed. Same pid throughout,
    /// so ExitCode is the command's. If the shell already stopped before the seize, the tracer sees a
    /// group-stop instead and continues it with SIGCONT; both orders are handled.
    /// </summary>
    private const string BootstrapScript = "kill -STOP $$; exec \"$@\"";
    private const string BootstrapScriptWithCd = "kill -STOP $$; cd \"$1\" || exit 127; shift; exec \"$@\"";

    /// <summary>PATH search like a shell would do it (relative entries against the working directory).</summary>
    public static string ResolveCommand(string fileName, string? workingDirectory)
    {
        if (string.IsNullOrEmpty(fileName))
            throw new TraceException(TraceErrorKind.CommandNotFound, "No command given.");

        string baseDir = workingDirectory ?? Environment.CurrentDirectory;
        if (fileName.Contains('/'))
        {
            string full = Path.GetFullPath(fileName, baseDir);
            if (IsExecutableFile(full))
                return full;
            if (Directory.Exists(full))
                throw new TraceException(TraceErrorKind.CommandNotExecutable, $"'{full}' is a directory, not a program.");
            if (File.Exists(full))
                throw new TraceException(TraceErrorKind.CommandNotExecutable,
                    $"'{full}' is not executable by this user. Make it executable (chmod +x {ShellQuote(full)}), or trace its interpreter: Trace-NetlinkCommand {{ sh '{full.Replace("'", "''")}' }}.");
            throw new TraceException(TraceErrorKind.CommandNotFound, $"'{full}' does not exist. Check the path.");
        }

        string path = Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin";
        foreach (string entry in path.Split(':'))
        {
            string dir = entry.Length == 0 ? "." : entry;
            string candidate = Path.GetFullPath(Path.Combine(dir, fileName), baseDir);
            if (IsExecutableFile(candidate))
                return candidate;
        }
        throw new TraceException(TraceErrorKind.CommandNotFound,
            $"'{fileName}' was not found in PATH. Check the name, install the program, or give its path (-FilePath /usr/sbin/{fileName}).");
    }

    /// <summary>A path as a POSIX shell reads it back whole: in single quotes, each ' as '\''.</summary>
    private static string ShellQuote(string path) => "'" + path.Replace("'", "'\\''") + "'";

    /// <summary>A regular file (through links) this user may execute, as execve would judge it.</summary>
    internal static bool IsExecutableFile(string path)
    {
        if (!File.Exists(path)) // false for directories
            return false;
        IntPtr p = Marshal.StringToCoTaskMemUTF8(path);
        try
        {
            return Native.access((byte*)p, Native.X_OK) == 0;
        }
        finally
        {
            Marshal.FreeCoTaskMem(p);
        }
    }

    /// <summary>
    /// Spawns the bootstrap shell for <paramref name="resolvedPath"/>; returns its pid. <paramref name="streams"/>
    /// null: the command inherits this process's descriptors 0-2.
    /// </summary>
    public static int SpawnStopped(string resolvedPath, IReadOnlyList<string> arguments, string? workingDirectory, StandardStreams? streams = null)
    {
        var argv = new List<string> { "sh", "-c", workingDirectory is null ? BootstrapScript : BootstrapScriptWithCd, "nlmonps-trace" };
        if (workingDirectory is not null)
            argv.Add(workingDirectory);
        argv.Add(resolvedPath);
        argv.AddRange(arguments);
        return Spawn(Shell, argv, CurrentEnvironment(), streams);
    }

    /// <summary>
    /// A helper child that exits as soon as the returned pipe write end is closed. Only used when
    /// attaching: the tracer thread blocks in waitpid, and this child's exit is what wakes it when
    /// Stop() is called from another thread (no signal games inside a .NET process, no tracee touched).
    /// </summary>
    public static int SpawnSentinel(out int wakeFd)
    {
        int* fds = stackalloc int[2];
        if (Native.pipe2(fds, Native.O_CLOEXEC) != 0)
            throw TraceException.FromErrno(TraceErrorKind.Other, "pipe2", Native.LastErrno);
        try
        {
            int pid = Spawn(Shell, ["sh", "-c", "read _", "nlmonps-trace-sentinel"], ["PATH=/usr/bin:/bin"], new StandardStreams(fds[0], -1, -1));
            wakeFd = fds[1];
            Native.close(fds[0]);
            return pid;
        }
        catch
        {
            Native.close(fds[0]);
            Native.close(fds[1]);
            throw;
        }
    }

    private static List<string> CurrentEnvironment()
    {
        // The .NET copy of the environment ($env: in PowerShell), not libc's environ, which
        // Environment.SetEnvironmentVariable does not update.
        var env = new List<string>();
        foreach (DictionaryEntry e in Environment.GetEnvironmentVariables())
            env.Add($"{e.Key}={e.Value}");
        return env;
    }

    private static int Spawn(string path, IReadOnlyList<string> argv, IReadOnlyList<string> envp, StandardStreams? streams)
    {
        var allocations = new List<IntPtr>();
        byte* attr = (byte*)NativeMemory.AllocZeroed(Native.SpawnAttrSize);
        byte* actions = (byte*)NativeMemory.AllocZeroed(Native.FileActionsSize);
        byte* sigset = (byte*)NativeMemory.AllocZeroed(Native.SigSetSize);
        byte** argvP = (byte**)NativeMemory.AllocZeroed((nuint)(argv.Count + 1), (nuint)sizeof(byte*));
        byte** envpP = (byte**)NativeMemory.AllocZeroed((nuint)(envp.Count + 1), (nuint)sizeof(byte*));
        bool attrInit = false, actionsInit = false;
        try
        {
            for (int i = 0; i < argv.Count; i++)
                argvP[i] = Utf8(argv[i], allocations);
            for (int i = 0; i < envp.Count; i++)
                envpP[i] = Utf8(envp[i], allocations);
            byte* pathP = Utf8(path, allocations);

            Check(Native.posix_spawnattr_init(attr), "posix_spawnattr_init");
            attrInit = true;
            // The runtime ignores SIGPIPE and blocks signals on some threads; a command must start
            // with default dispositions and an empty mask, like from a shell.
            Check(Native.posix_spawnattr_setflags(attr, Native.POSIX_SPAWN_SETSIGDEF | Native.POSIX_SPAWN_SETSIGMASK), "posix_spawnattr_setflags");
            Native.sigfillset(sigset);
            Check(Native.posix_spawnattr_setsigdefault(attr, sigset), "posix_spawnattr_setsigdefault");
            Native.sigemptyset(sigset);
            Check(Native.posix_spawnattr_setsigmask(attr, sigset), "posix_spawnattr_setsigmask");

            Check(Native.posix_spawn_file_actions_init(actions), "posix_spawn_file_actions_init");
            actionsInit = true;
            if (streams is { } s)
            {
                // dup2 clears close-on-exec on the target, so the given descriptors (all close-on-exec) reach the child as 0-2 only.
                byte* devNull = Utf8("/dev/null", allocations);
                int[] given = { s.Input, s.Output, s.Error };
                for (int target = 0; target < 3; target++)
                {
                    if (given[target] >= 0)
                        Check(Native.posix_spawn_file_actions_adddup2(actions, given[target], target), "posix_spawn_file_actions_adddup2");
                    else
                        Check(Native.posix_spawn_file_actions_addopen(actions, target, devNull, target == 0 ? Native.O_RDONLY : Native.O_WRONLY, 0), "posix_spawn_file_actions_addopen");
                }
            }

            int pid;
            int err = Native.posix_spawn(&pid, pathP, actions, attr, argvP, envpP);
            if (err != 0)
                throw TraceException.FromErrno(TraceErrorKind.Other, $"posix_spawn {path}", err);
            return pid;
        }
        finally
        {
            if (actionsInit)
                Native.posix_spawn_file_actions_destroy(actions);
            if (attrInit)
                Native.posix_spawnattr_destroy(attr);
            foreach (IntPtr p in allocations)
                Marshal.FreeCoTaskMem(p);
            NativeMemory.Free(envpP);
            NativeMemory.Free(argvP);
            NativeMemory.Free(sigset);
            NativeMemory.Free(actions);
            NativeMemory.Free(attr);
        }
    }

    private static byte* Utf8(string s, List<IntPtr> allocations)
    {
        IntPtr p = Marshal.StringToCoTaskMemUTF8(s);
        allocations.Add(p);
        return (byte*)p;
    }

    private static void Check(int err, string what)
    {
        if (err != 0)
            throw TraceException.FromErrno(TraceErrorKind.Other, what, err);
    }
}
