using System.Collections.ObjectModel;
using System.Diagnostics;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using NlmonPS.Decoding;
using Xunit;

namespace NlmonPS.Tests.Live;

/// <summary>
/// Shared state of the live suite, which runs as root on a kernel with nlmon (inside kernel/, see tests/run.sh).
/// It fails, not skips, anywhere else: a live suite that silently skips proves nothing.
/// </summary>
public sealed class LiveRig : IDisposable
{
    public LiveRig()
    {
        Release = File.ReadAllText("/proc/sys/kernel/osrelease").Trim();
        if (Environment.UserName != "root" && geteuid() != 0)
            throw new InvalidOperationException("The live suite runs as root, inside the kernel rig (tests/run.sh, kernel/run.sh).");
        if (!Directory.Exists("/sys/module/nlmon") && !TrySh("modprobe -n -q nlmon", out _))
            throw new InvalidOperationException($"This kernel ({Release}) cannot load nlmon: the live suite must run on a kernel with nlmon (kernel/run.sh boots Debian's stock kernel).");
        // In kernel/ the kernel's own module autoloading (request_module) cannot reach the guest's modprobe, so
        // load what the tests' `ip` commands need up front. Harmless where autoloading works.
        foreach (var module in new[] { "veth", "dummy", "netlink_diag" }) TrySh($"modprobe {module}", out _);
        RemoveAllNlmon();
        _host = new PowerShellHost(false, new SessionStateCmdletEntry("Select-First", typeof(SelectFirstCommand), null));
    }

    [System.Runtime.InteropServices.DllImport("libc")]
    private static extern uint geteuid();

    private readonly PowerShellHost _host;

    public string Release { get; }
    public Runspace Runspace => _host.Runspace;

    public static string Sh(string command) => PrivateNetns.Sh(command);

    public static bool TrySh(string command, out string output)
    {
        try
        {
            output = PrivateNetns.Sh(command);
            return true;
        }
        catch (InvalidOperationException ex)
        {
            output = ex.Message;
            return false;
        }
    }

    /// <summary>The nlmon devices of a namespace, by `ip` (independent of the cmdlets under test).</summary>
    public static List<string> NlmonNames(string? ns = null) =>
        Sh($"ip {(ns is null ? "" : $"-n {ns} ")}-o link show type nlmon").Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(':')[1].Trim()).ToList();

    public static void RemoveAllNlmon(string? ns = null)
    {
        foreach (var name in NlmonNames(ns)) Sh($"ip {(ns is null ? "" : $"-n {ns} ")}link del {name}");
    }

    /// <summary>Runs a script to its end; a terminating error is returned, not thrown.</summary>
    public PowerShellHost.Result Run(string script, IDictionary<string, object?>? variables = null) => _host.Run(script, variables);

    /// <summary>Starts a pipeline in the background (a live capture the test feeds with traffic).</summary>
    public Pipeline Start(string script, IDictionary<string, object?>? variables = null)
    {
        foreach (var (k, v) in variables ?? new Dictionary<string, object?>()) Runspace.SessionStateProxy.SetVariable(k, v);
        return new Pipeline(Runspace, script);
    }

    public void Dispose()
    {
        _host.Dispose();
        RemoveAllNlmon();
    }
}

/// <summary>A pipeline running in the background, its output collected as it streams.</summary>
public sealed class Pipeline : IDisposable
{
    private readonly PowerShell _ps;
    private readonly PSDataCollection<PSObject> _output = new();
    private readonly List<PSObject> _items = new();
    private readonly ManualResetEventSlim _capturing = new();
    private readonly IAsyncResult _async;

    public Pipeline(Runspace runspace, string script)
    {
        _ps = PowerShell.Create();
        _ps.Runspace = runspace;
        _ps.AddScript(script);
        _output.DataAdded += (_, e) => { lock (_items) _items.Add(_output[e.Index]); };
        _ps.Streams.Verbose.DataAdded += (_, e) =>
        {
            if (_ps.Streams.Verbose[e.Index].Message.StartsWith("Capturing on", StringComparison.Ordinal)) _capturing.Set();
        };
        _async = _ps.BeginInvoke<PSObject, PSObject>(null, _output);
    }

    public Exception? Terminating { get; private set; }
    public List<ErrorRecord> Errors => _ps.Streams.Error.ToList();
    public List<string> Warnings => _ps.Streams.Warning.Select(w => w.Message).ToList();
    public List<string> Verbose => _ps.Streams.Verbose.Select(v => v.Message).ToList();

    public List<NetlinkMessage> Messages
    {
        get { lock (_items) return _items.Select(o => o.BaseObject).OfType<NetlinkMessage>().ToList(); }
    }

    /// <summary>Waits for the capture's "Capturing on ..." (written once its socket reads).</summary>
    public void WaitCapturing(TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!_capturing.Wait(200))
        {
            if (_async.IsCompleted)
            {
                Finish(TimeSpan.FromSeconds(30));
                Assert.Fail($"The capture ended before it started: {Terminating?.Message} {string.Join("; ", Errors.Select(e => e.ToString()))}");
            }
            if (clock.Elapsed > timeout) Assert.Fail($"The capture did not start within {timeout}.");
        }
    }

    /// <summary>Waits until the messages so far satisfy <paramref name="condition"/>.</summary>
    public bool WaitUntil(Func<List<NetlinkMessage>, bool> condition, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (condition(Messages)) return true;
            if (_async.IsCompleted) return condition(Messages);
            Thread.Sleep(100);
        }
        return false;
    }

    /// <summary>Ctrl+C.</summary>
    public void Stop() => _ps.Stop();

    /// <summary>Waits for the end; a terminating error (or the stop) is kept in <see cref="Terminating"/>.</summary>
    public void Finish(TimeSpan timeout)
    {
        if (!_async.AsyncWaitHandle.WaitOne(timeout)) Assert.Fail($"The pipeline did not end within {timeout}.");
        try
        {
            _ps.EndInvoke(_async);
        }
        catch (RuntimeException ex)
        {
            Terminating = ex;
        }
    }

    public void Dispose()
    {
        if (!_async.IsCompleted)
        {
            _ps.Stop();
            try { _ps.EndInvoke(_async); } catch (RuntimeException) { }
        }
        _ps.Dispose();
    }
}

/// <summary>Select-Object -First for the hosted engine (which has no Select-Object): stops the upstream commands.</summary>
[Cmdlet("Select", "First")]
public sealed class SelectFirstCommand : PSCmdlet
{
    [Parameter(ValueFromPipeline = true)]
    public PSObject? InputObject { get; set; }

    [Parameter(Position = 0)]
    public int Count { get; set; } = 1;

    private int _seen;

    protected override void ProcessRecord()
    {
        WriteObject(InputObject);
        if (++_seen < Count) return;
        // What Select-Object -First throws; internal in System.Management.Automation, so made by reflection.
        var type = typeof(PSCmdlet).Assembly.GetType("System.Management.Automation.StopUpstreamCommandsException", throwOnError: true)!;
        throw (Exception)Activator.CreateInstance(type, System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic,
            null, new object[] { this }, null)!;
    }
}
