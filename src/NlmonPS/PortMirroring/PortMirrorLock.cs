namespace NlmonPS.PortMirroring;

/// <summary>
/// The lock NlmonPS processes (and runspaces) hold while they change a device's tc filters, so mirrors made at the
/// same time on one source do not pick the same priority. An exclusive open of one file: .NET takes flock(LOCK_EX)
/// for FileShare.None, which the kernel drops with the process, so a killed holder never leaves it stuck.
/// </summary>
internal static class PortMirrorLock
{
    private static string LockPath =>
        Path.Combine(Directory.Exists("/run/lock") ? "/run/lock" : Path.GetTempPath(), "nlmonps-tc.lock");

    /// <summary>The lock, waited for up to 10 s; null (go on unlocked, the retry on a taken priority still holds) when it cannot be had.</summary>
    public static IDisposable? Take(Action<string>? verbose)
    {
        var deadline = Environment.TickCount64 + 10_000;
        while (true)
        {
            try
            {
                return new FileStream(LockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1);
            }
            catch (IOException) when (Environment.TickCount64 < deadline)
            {
                Thread.Sleep(20);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                verbose?.Invoke($"Could not take {LockPath} ({e.Message}); changing tc without it.");
                return null;
            }
        }
    }
}
