using System.Collections.ObjectModel;
using System.Management.Automation;
using System.Management.Automation.Runspaces;

namespace NlmonPS.Tests.Mirror;

/// <summary>
/// PowerShell with the module imported, running every pipeline on the thread that made it
/// (<see cref="PSThreadOptions.UseCurrentThread"/>): made inside <see cref="NetNamespace.Run"/>, the cmdlets
/// open their netlink sockets in the test namespace.
/// </summary>
public sealed class NamespacedPowerShell : IDisposable
{
    private readonly Runspace _runspace;
    private readonly int _thread = Environment.CurrentManagedThreadId;

    public NamespacedPowerShell()
    {
        var iss = InitialSessionState.CreateDefault2();
        iss.ImportPSModule(new[] { ModuleLoader.ManifestPath });
        _runspace = RunspaceFactory.CreateRunspace(iss);
        _runspace.ThreadOptions = PSThreadOptions.UseCurrentThread;
        _runspace.Open();
    }

    public sealed record Result(Collection<PSObject> Output, IReadOnlyList<ErrorRecord> Errors, IReadOnlyList<string> Verbose, IReadOnlyList<string> Warnings, Exception? Terminating)
    {
        public IEnumerable<T> Objects<T>() => Output.Select(o => o.BaseObject).OfType<T>();

        public void AssertClean()
        {
            if (Terminating is not null) throw new Xunit.Sdk.XunitException($"terminating error: {Terminating}");
            if (Errors.Count > 0) throw new Xunit.Sdk.XunitException("errors: " + string.Join(" | ", Errors.Select(e => $"{e.FullyQualifiedErrorId}: {e}")));
        }
    }

    public Result Run(string script)
    {
        if (Environment.CurrentManagedThreadId != _thread)
            throw new InvalidOperationException("Run the pipeline on the thread that made the runspace (it is in the test namespace).");
        using var ps = PowerShell.Create();
        ps.Runspace = _runspace;
        ps.AddScript(script);
        Collection<PSObject> output = new();
        Exception? terminating = null;
        try { output = ps.Invoke(); }
        catch (RuntimeException ex) { terminating = ex; }
        return new Result(output, ps.Streams.Error.ToList(), ps.Streams.Verbose.Select(v => v.Message).ToList(),
            ps.Streams.Warning.Select(w => w.Message).ToList(), terminating);
    }

    public void Dispose() => _runspace.Dispose();
}
