using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using NlmonPS.DropMonitoring;
using NlmonPS.KernelClients;

namespace NlmonPS.Tests.DropMonitoring;

/// <summary>
/// What the live drop-monitor tests share: one PowerShell engine with NlmonPS imported (starting it is the slow
/// part inside the rig, ~1.5 min under TCG), the drop monitor's configuration as the tests found it (put back
/// at the end), and timings for the report.
/// </summary>
public sealed class DropMonitorLiveFixture : IDisposable
{
    private readonly PowerShellHost _host;
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public DropMonitorLiveFixture()
    {
        _host = new PowerShellHost();
        EngineStart = _clock.Elapsed;
        // NET_DM must be there: on a kernel without it this throws, and every test of the class fails (never skips).
        using var client = DropMonitorClient.Open();
        Initial = client.GetConfiguration(probeMonitoring: true);
        Log($"engine started in {EngineStart.TotalSeconds:F1} s; NET_DM {client.Family}; configuration {Initial}, monitoring {Initial.Monitoring}");
    }

    public TimeSpan EngineStart { get; }
    public DropMonitorConfiguration Initial { get; }

    /// <summary>Runs a script in the shared engine (terminating errors are returned, not thrown).</summary>
    public PowerShellHost.Result Run(string script, IDictionary<string, object?>? variables = null)
    {
        var started = _clock.Elapsed;
        Log($"> {script}");
        var r = _host.Run(script, variables);
        Log($"{(_clock.Elapsed - started).TotalSeconds,6:F1} s  {script}");
        return r;
    }

    /// <summary>Starts a script without waiting: for stopping it (Ctrl+C) while it runs.</summary>
    public PowerShellHost.Running Start(string script) => _host.Start(script);

    /// <summary>Timings go to stderr (the rig streams it; tests/run.sh shows it).</summary>
    public void Log(string line) => Console.Error.WriteLine($"[dropmon {_clock.Elapsed.TotalSeconds,7:F1} s] {line}");

    public void Dispose()
    {
        // Whatever a failed test left: no monitoring, and the configuration as found.
        try
        {
            using var client = DropMonitorClient.Open();
            client.Stop(DropMonitorOrigin.All);
            client.SetConfiguration(Initial.AlertMode, Initial.TruncateLength, Initial.QueueLength);
        }
        catch (DropMonitorException)
        {
        }
        Log("done");
        _host.Dispose();
    }
}

/// <summary>
/// Sends UDP datagrams carrying a marker to a closed port on 127.0.0.1 from a background thread, every
/// <c>interval</c> until disposed: each one is dropped in __udp4_lib_rcv with reason NO_SOCKET.
/// </summary>
public sealed class ClosedPortSender : IDisposable
{
    public const int ClosedPort = 9;
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;
    private int _sent;

    public ClosedPortSender(string tag, int payloadBytes = 0, int intervalMs = 100, int burst = 1)
    {
        Tag = tag;
        _thread = new Thread(() =>
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            var target = new IPEndPoint(IPAddress.Loopback, ClosedPort);
            while (!_stop.IsCancellationRequested)
            {
                for (int i = 0; i < burst; i++)
                {
                    var text = Marker(Interlocked.Increment(ref _sent));
                    var payload = Encoding.ASCII.GetBytes(text.PadRight(Math.Max(payloadBytes, text.Length), '.'));
                    try { socket.SendTo(payload, target); } catch (SocketException) { }
                }
                _stop.Token.WaitHandle.WaitOne(intervalMs);
            }
        }) { IsBackground = true, Name = "closed-port sender " + tag };
        _thread.Start();
    }

    public string Tag { get; }
    public int Sent => Volatile.Read(ref _sent);
    public string Prefix => $"nlmonps-drop-{Tag}-";
    public string Marker(int n) => $"{Prefix}{n}";

    public void Dispose()
    {
        _stop.Cancel();
        _thread.Join();
        _stop.Dispose();
    }
}
