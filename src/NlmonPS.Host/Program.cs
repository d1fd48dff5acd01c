using System.Management.Automation;
using System.Management.Automation.Runspaces;
using NlmonPS.Host;

// nlmonps [-File script.ps1 [args]] | [-Command] <command line...>
// Runs PowerShell with NlmonPS imported and prints results through the module's format views.
// Exit code: 0 on success, 1 when a command failed, the script's own `exit N`, or 130 on Ctrl+C.

var moduleDir = Environment.GetEnvironmentVariable("NLMONPS_MODULE_DIR") is { Length: > 0 } d ? d : FindModule();
if (moduleDir is null)
{
    Console.Error.WriteLine("nlmonps: cannot find the NlmonPS module (out/NlmonPS). Build it with `dotnet build`, or set NLMONPS_MODULE_DIR.");
    return 2;
}
if (args.Length == 0 || args[0] is "-h" or "--help" or "-?")
{
    Console.WriteLine("usage: nlmonps [-Command] <PowerShell command line>\n       nlmonps -File <script.ps1> [arguments]\nexample: nlmonps 'Get-NetlinkMessage -Path capture.pcap | Where-Object TypeName -eq RTM_NEWLINK'");
    return args.Length == 0 ? 2 : 0;
}

var host = new ConsoleHost();
var iss = InitialSessionState.CreateDefault2();
iss.ImportPSModule(new[] { Path.Combine(moduleDir, "NlmonPS.psd1") });
using var runspace = RunspaceFactory.CreateRunspace(host, iss);
runspace.Open();
using var ps = PowerShell.Create();
ps.Runspace = runspace;
if (Console.IsOutputRedirected || Environment.GetEnvironmentVariable("NO_COLOR") is not null)
{
    // Plain text when piped or asked: no ANSI escapes in logs and files.
    PSStyle.Instance.OutputRendering = OutputRendering.PlainText;
}

if (args[0].Equals("-File", StringComparison.OrdinalIgnoreCase))
{
    if (args.Length < 2) { Console.Error.WriteLine("nlmonps: -File needs a script path."); return 2; }
    ps.AddCommand(Path.GetFullPath(args[1]));
    foreach (var a in args.Skip(2)) ps.AddArgument(a);
}
else
{
    var script = string.Join(" ", args[0].Equals("-Command", StringComparison.OrdinalIgnoreCase) ? args.Skip(1) : args);
    ps.AddScript(script);
}
ps.AddCommand("Out-Default");
ps.Commands.Commands[0].MergeMyResults(PipelineResultTypes.Error, PipelineResultTypes.Output);

Console.CancelKeyPress += (_, e) => { e.Cancel = true; ps.BeginStop(null, null); };
try
{
    ps.Invoke();
}
catch (PipelineStoppedException)
{
    return 130;
}
catch (RuntimeException ex)
{
    Console.Error.WriteLine(ex.ErrorRecord?.ToString() ?? ex.Message);
    return 1;
}
if (host.ExitCode is int exit) return exit;
return ps.HadErrors ? 1 : 0;

static string? FindModule()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
    {
        var candidate = Path.Combine(dir.FullName, "out", "NlmonPS");
        if (File.Exists(Path.Combine(candidate, "NlmonPS.psd1"))) return candidate;
    }
    return null;
}
