using System.Runtime.Versioning;

// Netlink, nlmon, ptrace and packet sockets exist only on Linux.
[assembly: SupportedOSPlatform("linux")]
