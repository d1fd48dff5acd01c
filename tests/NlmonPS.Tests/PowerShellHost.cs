using System.Collections.ObjectModel;
using System.Diagnostics;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using NlmonPS.Decoding;

namespace NlmonPS.Tests;

/// <summary>
/// Runs PowerShell in-process with the module imported from out/NlmonPS: the one harness of the xUnit tests.
/// <see cref="Run"/> returns everything a script did as one <see cref="Result"/>; <see cref="Start"/> runs a
/// pipeline in the background, for stopping it (Ctrl+C) while it works.
/// </summary>
public sealed class PowerShellHost : IDisposable
{
    private readonly int? _thread;

    /// <param name="onThisThread">Runs every pipeline on the thread that made the host
    /// (<see cref="PSThreadOptions.UseCurrentThread"/>): made inside a network namespace, the cmdlets open their
    /// sockets there.</param>
    /// <param name="cmdlets">Extra cmdlets for the session (the hosted engine has no Select-Object).</param>
    public PowerShellHost(bool onThisThread = false, params SessionStateCmdletEntry[] cmdlets)
    {
        var iss = InitialSessionState.CreateDefault2();
        iss.ImportPSModule(new[] { ModuleLoader.ManifestPath });
        foreach (var cmdlet in cmdlets) iss.Commands.Add(cmdlet);
        Runspace = RunspaceFactory.CreateRunspace(iss);
        if (onThisThread)
        {
            Runspace.ThreadOptions = PSThreadOptions.UseCurrentThread;
            _thread = Environment.CurrentManagedThreadId;
        }
        Runspace.Open();
    }

    public Runspace Runspace { get; }

    public sealed record Result(Collection<PSObject> Output, IReadOnlyList<ErrorRecord> Errors, IReadOnlyList<string> Warnings, IReadOnlyList<string> Verbose, Exception? Terminating)
    {
        public IEnumerable<T> Objects<T>() => Output.Select(o => o.BaseObject).OfType<T>();

        public List<NetlinkMessage> Messages => Objects<NetlinkMessage>().ToList();

        /// <summary>The one error: the terminating one, else the only one written.</summary>
        public ErrorRecord Error => Terminating is RuntimeException { ErrorRecord: { } e } ? e : Errors.Single();

        public void AssertClean()
        {
            if (Terminating is not null) throw new Xunit.Sdk.XunitException($"terminating error: {Terminating}");
            if (Errors.Count > 0) throw new Xunit.Sdk.XunitException("errors: " + string.Join(" | ", Errors.Select(e => $"{e.FullyQualifiedErrorId}: {e}")));
        }

        public override string ToString() =>
            $"{Output.Count} objects; errors: [{string.Join(" | ", Errors.Select(e => $"{e.FullyQualifiedErrorId}: {e}"))}]; terminating: {Terminating?.Message}; verbose: [{string.Join(" | ", Verbose)}]";
    }

    /// <summary>Runs a script to its end; a terminating error is returned, not thrown, so tests can check it.</summary>
    public Result Run(string script, IDictionary<string, object?>? variables = null)
    {
        using var ps = Create(script, variables);
        Collection<PSObject> output = new();
        Exception? terminating = null;
        try { output = ps.Invoke(); }
        catch (RuntimeException ex) { terminating = ex; }
        return Collect(ps, output, terminating);
    }

    public object? Variable(string name) => Runspace.SessionStateProxy.GetVariable(name);

    /// <summary>A pipeline running in the background; objects arrive in <see cref="Running.Output"/> as they are written.</summary>
    public Running Start(string script, IDictionary<string, object?>? variables = null)
    {
        var ps = Create(script, variables);
        var output = new PSDataCollection<PSObject>();
        var input = new PSDataCollection<PSObject>();
        input.Complete();
        return new Running(ps, output, ps.BeginInvoke(input, output));
    }

    private PowerShell Create(string script, IDictionary<string, object?>? variables)
    {
        if (_thread is { } thread && Environment.CurrentManagedThreadId != thread)
            throw new InvalidOperationException("Run the pipeline on the thread that made the runspace (it is in the test namespace).");
        if (variables is not null)
            foreach (var (k, v) in variables) Runspace.SessionStateProxy.SetVariable(k, v);
        var ps = PowerShell.Create();
        ps.Runspace = Runspace;
        ps.AddScript(script);
        return ps;
    }

    private static Result Collect(PowerShell ps, Collection<PSObject> output, Exception? terminating) =>
        new(output, ps.Streams.Error.ToList(), ps.Streams.Warning.Select(w => w.Message).ToList(),
            ps.Streams.Verbose.Select(v => v.Message).ToList(), terminating);

    public sealed class Running(PowerShell ps, PSDataCollection<PSObject> output, IAsyncResult handle) : IDisposable
    {
        public PSDataCollection<PSObject> Output { get; } = output;
        public List<string> Verbose => ps.Streams.Verbose.Select(v => v.Message).ToList();
        public List<ErrorRecord> Errors => ps.Streams.Error.ToList();
        public bool IsCompleted => handle.IsCompleted;
        public PSInvocationState State => ps.InvocationStateInfo.State;

        /// <summary>Waits until the pipeline has written at least <paramref name="count"/> objects.</summary>
        public bool WaitForOutput(int count, TimeSpan timeout)
        {
            var clock = Stopwatch.StartNew();
            while (Output.Count < count && !handle.IsCompleted && clock.Elapsed < timeout) Thread.Sleep(20);
            return Output.Count >= count;
        }

        /// <summary>What Ctrl+C does: StopProcessing, then the pipeline ends. Returns how long the stop took.</summary>
        public TimeSpan Stop()
        {
            var clock = Stopwatch.StartNew();
            ps.Stop();
            return clock.Elapsed;
        }

        public bool Wait(TimeSpan timeout) => handle.AsyncWaitHandle.WaitOne(timeout);

        /// <summary>Waits for the end and returns what the pipeline did; a stop or terminating error is in Terminating.</summary>
        public Result Finish()
        {
            Exception? terminating = null;
            try { ps.EndInvoke(handle); }
            catch (Exception e) when (e is RuntimeException or PipelineStoppedException) { terminating = e; }
            return Collect(ps, new Collection<PSObject>(Output.ToList()), terminating);
        }

        public void Dispose()
        {
            if (!handle.IsCompleted) ps.Stop();
            ps.Dispose();
        }
    }

    public void Dispose() => Runspace.Dispose();

    /// <summary>
    /// What the console shows for a script's output: its objects through Out-Default and the module's views, in a
    /// session of its own whose host (nlmonps-host's) writes to a string as plain text, as a console does when its
    /// output is redirected.
    /// </summary>
    public static string Rendered(string script, IDictionary<string, object?>? variables = null)
    {
        var text = new StringWriter();
        var iss = InitialSessionState.CreateDefault2();
        iss.ImportPSModule(new[] { ModuleLoader.ManifestPath });
        using var runspace = RunspaceFactory.CreateRunspace(new NlmonPS.Host.ConsoleHost(text, text, plain: true), iss);
        runspace.Open();
        using var ps = PowerShell.Create();
        ps.Runspace = runspace;
        foreach (var (name, value) in variables ?? new Dictionary<string, object?>()) runspace.SessionStateProxy.SetVariable(name, value);
        ps.AddScript(script).AddCommand("Out-Default").Invoke();
        return text.ToString();
    }
}
