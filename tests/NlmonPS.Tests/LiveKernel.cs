using Xunit;

namespace NlmonPS.Tests;

/// <summary>
/// Live tests need kernel features this machine may lack (nlmon, drop_monitor, cls_matchall). Run by hand they
/// skip with the reason; in the stock-kernel rig (tests/run.sh sets NLMONPS_LIVE=1) a missing feature is a
/// failure, because there it means the rig is broken.
/// </summary>
public static class LiveKernel
{
    public static bool InRig => Environment.GetEnvironmentVariable("NLMONPS_LIVE") == "1";

    public static void Require(bool available, string reason)
    {
        if (available) return;
        if (InRig) Assert.Fail($"the stock-kernel rig must provide this: {reason}");
        Assert.Skip(reason);
    }
}
