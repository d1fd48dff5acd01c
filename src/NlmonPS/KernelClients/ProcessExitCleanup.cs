using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace NlmonPS.KernelClients;

/// <summary>
/// Puts back kernel state a running command changed (a temporary nlmon device, the drop monitor switched on and
/// reconfigured) when pwsh is told to end: SIGTERM (timeout, systemctl stop, docker stop) or SIGHUP (the terminal
/// went away). pwsh runs no finally block then, and the runtime raises no ProcessExit for those signals, so the state
/// would outlive the process. Ctrl+C and every normal end use the commands' own cleanup; a registration is dropped
/// when that has run.
/// </summary>
internal static class ProcessExitCleanup
{
    private static readonly ConcurrentDictionary<long, Action> Pending = new();
    private static long _next;
    private static PosixSignalRegistration[]? _signals;
    private static readonly object Gate = new();

    /// <summary>Runs <paramref name="undo"/> if the process is terminated before the returned registration is disposed.</summary>
    public static IDisposable Register(Action undo)
    {
        lock (Gate)
        {
            _signals ??= new[]
            {
                PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => RunAll()),
                PosixSignalRegistration.Create(PosixSignal.SIGHUP, _ => RunAll()),
            };
        }
        long id = Interlocked.Increment(ref _next);
        Pending[id] = undo;
        return new Registration(id);
    }

    /// <summary>Each pending undo once; the signal's default action (ending the process) follows.</summary>
    private static void RunAll()
    {
        foreach (var id in Pending.Keys)
        {
            if (!Pending.TryRemove(id, out var undo)) continue;
            try
            {
                undo();
            }
            catch (Exception)
            {
                // The process is ending: one undo that fails must not keep the others from running.
            }
        }
    }

    private sealed class Registration(long id) : IDisposable
    {
        public void Dispose() => Pending.TryRemove(id, out _);
    }
}
