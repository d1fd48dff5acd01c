using System.Collections.Concurrent;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace NlmonPS.Tracing;

/// <summary>Where a started command's standard output and error go.</summary>
public enum CommandOutput
{
    /// <summary>Read by NlmonPS, line by line, and handed to the caller (Trace-NetlinkCommand: the Information stream). Standard input is /dev/null.</summary>
    Stream,
    /// <summary>/dev/null, all three.</summary>
    None,
    /// <summary>Inherited from this process (its terminal). Never safe where this process's descriptors are a channel (SSH remoting).</summary>
    Host,
}

/// <summary>One line a started command wrote.</summary>
internal sealed record CommandOutputLine(string Text, bool IsError);

/// <summary>
/// The descriptors a started command gets as 0, 1 and 2: this process's own (none given), /dev/null, or pipes that two
/// reader threads turn into <see cref="CommandOutputLine"/>s. The pipes are made close-on-exec, so no other child of
/// this process inherits them; the command gets them through dup2 in the spawn.
/// </summary>
internal sealed unsafe class CommandStdio : IDisposable
{
    /// <summary>Longest line kept whole; longer ones are cut into pieces of this size (a command without newlines is still bounded).</summary>
    internal const int MaxLine = 16 * 1024;

    private readonly ConcurrentQueue<CommandOutputLine> _lines = new();
    private readonly List<Thread> _readers = new();
    private readonly int[] _childEnds;
    private readonly int[] _parentEnds;

    private CommandStdio(CommandOutput mode, int[] childEnds, int[] parentEnds)
    {
        Mode = mode;
        _childEnds = childEnds;
        _parentEnds = parentEnds;
    }

    public CommandOutput Mode { get; }

    /// <summary>The descriptors for the spawn: null to inherit this process's, else (stdin, stdout, stderr), -1 meaning /dev/null.</summary>
    public StandardStreams? Streams => Mode switch
    {
        CommandOutput.Host => null,
        CommandOutput.None => new StandardStreams(-1, -1, -1),
        _ => new StandardStreams(-1, _childEnds[0], _childEnds[1]),
    };

    public static CommandStdio Create(CommandOutput mode)
    {
        if (mode != CommandOutput.Stream) return new CommandStdio(mode, Array.Empty<int>(), Array.Empty<int>());
        int* output = stackalloc int[2];
        int* error = stackalloc int[2];
        if (Native.pipe2(output, Native.O_CLOEXEC) != 0)
            throw TraceException.FromErrno(TraceErrorKind.Other, "pipe2", Native.LastErrno);
        if (Native.pipe2(error, Native.O_CLOEXEC) != 0)
        {
            int errno = Native.LastErrno;
            Native.close(output[0]);
            Native.close(output[1]);
            throw TraceException.FromErrno(TraceErrorKind.Other, "pipe2", errno);
        }
        return new CommandStdio(mode, new[] { output[1], error[1] }, new[] { output[0], error[0] });
    }

    /// <summary>
    /// After the spawn: closes this process's copies of the command's ends (so the readers see end-of-file when the
    /// command and everything it started have exited) and starts reading.
    /// </summary>
    public void Started()
    {
        CloseChildEnds();
        for (int i = 0; i < _parentEnds.Length; i++)
        {
            var handle = new SafeFileHandle(_parentEnds[i], ownsHandle: true);
            bool isError = i == 1;
            var reader = new Thread(() => Read(handle, isError)) { IsBackground = true, Name = isError ? "NlmonPS trace stderr" : "NlmonPS trace stdout" };
            _readers.Add(reader);
            reader.Start();
        }
    }

    private void CloseChildEnds()
    {
        for (int i = 0; i < _childEnds.Length; i++)
            if (_childEnds[i] >= 0) { Native.close(_childEnds[i]); _childEnds[i] = -1; }
    }

    private void Read(SafeFileHandle handle, bool isError)
    {
        using var stream = new FileStream(handle, FileAccess.Read, bufferSize: 0);
        var decoder = Encoding.UTF8.GetDecoder();
        var bytes = new byte[4096];
        var chars = new char[Encoding.UTF8.GetMaxCharCount(bytes.Length)];
        var line = new StringBuilder();
        try
        {
            int n;
            while ((n = stream.Read(bytes, 0, bytes.Length)) > 0)
            {
                int count = decoder.GetChars(bytes, 0, n, chars, 0);
                for (int i = 0; i < count; i++)
                {
                    char c = chars[i];
                    if (c == '\n' || line.Length >= MaxLine)
                    {
                        Add(line, isError);
                        if (c == '\n') continue;
                    }
                    line.Append(c);
                }
            }
        }
        catch (IOException)
        {
            // The pipe broke: what was read is kept below.
        }
        if (line.Length > 0) Add(line, isError);
    }

    private void Add(StringBuilder line, bool isError)
    {
        if (line.Length > 0 && line[^1] == '\r') line.Length--;
        _lines.Enqueue(new CommandOutputLine(line.ToString(), isError));
        line.Clear();
    }

    public bool TryTake(out CommandOutputLine? line) => _lines.TryDequeue(out line);

    /// <summary>Waits up to <paramref name="timeout"/> for both streams to end (every writer gone).</summary>
    public bool WaitForEnd(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        foreach (var reader in _readers)
        {
            var left = deadline - DateTime.UtcNow;
            if (left < TimeSpan.Zero || !reader.Join(left)) return false;
        }
        return true;
    }

    /// <summary>The readers own their ends and stop at end-of-file; only the command's ends can be left here (a spawn that failed).</summary>
    public void Dispose() => CloseChildEnds();
}

/// <summary>The descriptors a spawned process gets as 0, 1 and 2; -1 opens /dev/null.</summary>
internal readonly record struct StandardStreams(int Input, int Output, int Error);
