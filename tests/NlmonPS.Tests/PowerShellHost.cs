using System.Collections.ObjectModel;
using System.Management.Automation;
using System.Management.Automation.Runspaces;

namespace NlmonPS.Tests;

/// <summary>Runs PowerShell in-process with the module imported from out/NlmonPS.</summary>
public sealed class PowerShellHost : IDisposable
{
    private readonly Runspace _runspace;

    public PowerShellHost()
    {
        var iss = InitialSessionState.CreateDefault2();
        iss.ImportPSModule(new[] { ModuleLoader.ManifestPath });
        _runspace = RunspaceFactory.CreateRunspace(iss);
        _runspace.Open();
    }

    public sealed record Result(Collection<PSObject> Output, IReadOnlyList<ErrorRecord> Errors, IReadOnlyList<string> Warnings, Exception? Terminating);

    /// <summary>Runs a script; a terminating error is returned, not thrown, so tests can check it.</summary>
    public Result Run(string script, IDictionary<string, object?>? variables = null)
    {
        using var ps = PowerShell.Create();
        ps.Runspace = _runspace;
        if (variables is not null)
            foreach (var (k, v) in variables) _runspace.SessionStateProxy.SetVariable(k, v);
        ps.AddScript(script);
        Collection<PSObject> output = new();
        Exception? terminating = null;
        try { output = ps.Invoke(); }
        catch (RuntimeException ex) { terminating = ex; }
        return new Result(output, ps.Streams.Error.ToList(), ps.Streams.Warning.Select(w => w.Message).ToList(), terminating);
    }

    public void Dispose() => _runspace.Dispose();
}
