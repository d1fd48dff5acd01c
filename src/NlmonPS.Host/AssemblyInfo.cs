using System.Runtime.Versioning;

// Netlink, nlmon, ptrace and packet sockets exist only on Linux.
[assembly: SupportedOSPlatform("linux")]

// The xUnit tests render the module's format views through this host (PowerShellHost.Rendered).
[assembly: System.Runtime.CompilerServices.InternalsVisibleTo("NlmonPS.Tests")]
