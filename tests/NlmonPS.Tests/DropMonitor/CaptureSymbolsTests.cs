using NlmonPS.DropMonitoring;
using Xunit;

namespace NlmonPS.Tests.DropMonitor;

/// <summary>Functions a saved capture's packet alerts name (their %pS and address), for the bare addresses of summaries.</summary>
public class CaptureSymbolsTests
{
    [Fact]
    public void AFunctionLearnedFromOneAlertNamesEveryAddressInsideIt()
    {
        var seen = new CaptureSymbols();
        seen.Learn(0xffffffff834bcae2, "__udp4_lib_rcv+0x9a2/0xc30");
        Assert.Equal("__udp4_lib_rcv+0x9a2/0xc30", seen.Resolve(0xffffffff834bcae2)!.Location);
        Assert.Equal("__udp4_lib_rcv+0x0/0xc30", seen.Resolve(0xffffffff834bcae2 - 0x9a2)!.Location);
        Assert.Equal("__udp4_lib_rcv+0xc2f/0xc30", seen.Resolve(0xffffffff834bcae2 - 0x9a2 + 0xc2f)!.Location);
        Assert.Null(seen.Resolve(0xffffffff834bcae2 - 0x9a2 + 0xc30));   // one past the end
        Assert.Null(seen.Resolve(0xffffffff834bcae2 - 0x9a3));
    }

    [Fact]
    public void ModuleCodeKeepsItsModule()
    {
        var seen = new CaptureSymbols();
        seen.Learn(0xffffffffc0a01234, "nft_do_chain+0x34/0x500 [nf_tables]");
        var f = seen.Resolve(0xffffffffc0a01300)!;
        Assert.Equal("nft_do_chain", f.Name);
        Assert.Equal("nf_tables", f.Module);
        Assert.Equal("nft_do_chain+0x100/0x500 [nf_tables]", f.Location);
    }

    [Theory]
    [InlineData("0xffffffff834bcae2")]             // no symbol: the kernel printed the address
    [InlineData("__udp4_lib_rcv")]
    [InlineData("__udp4_lib_rcv+0x9a2")]
    [InlineData("__udp4_lib_rcv+0xzz/0xc30")]
    [InlineData("__udp4_lib_rcv+0xc30/0xc30")]      // an offset past the size
    [InlineData("__udp4_lib_rcv+0x9a2/0x0")]
    [InlineData("+0x1/0x10")]
    [InlineData("")]
    public void TextThatIsNoFunctionTeachesNothing(string location)
    {
        var seen = new CaptureSymbols();
        seen.Learn(0x1000, location);
        Assert.Null(seen.Resolve(0x1000));
    }

    [Fact]
    public void AFunctionTooBigForAKernelTeachesNothing()
    {
        var seen = new CaptureSymbols();
        seen.Learn(0xffffffff81000010, "everything+0x10/0xffffffffffff");
        Assert.Null(seen.Resolve(0xffffffff90000000));
    }

    [Fact]
    public void AnOffsetBeyondTheAddressTeachesNothing()
    {
        var seen = new CaptureSymbols();
        seen.Learn(0x10, "f+0x20/0x100");
        Assert.Null(seen.Resolve(0x10));
    }

    [Fact]
    public void AHostileCaptureCannotGrowItWithoutBound()
    {
        var seen = new CaptureSymbols();
        for (ulong i = 0; i < 100_000; i++) seen.Learn(0x1000_0000 + i * 0x100, $"f{i}+0x0/0x100");
        Assert.NotNull(seen.Resolve(0x1000_0000));
        Assert.Null(seen.Resolve(0x1000_0000 + 99_999UL * 0x100));   // past the bound: not kept
    }
}
