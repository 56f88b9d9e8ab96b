using Functional.WebRtc.Core;

namespace Functional.WebRtc.Tests.Common;

public class EntropyTests
{
    [Fact]
    public void SplitMix64MatchesReferenceSequence()
    {
        // Reference values of SplitMix64 seeded with 0 (Vigna's splitmix64.c).
        var e = new Entropy(0);
        (var a, e) = e.NextUInt64();
        (var b, _) = e.NextUInt64();
        Assert.Equal(0xE220A8397B1DCDAFUL, a);
        Assert.Equal(0x6E789E6AA1B965F4UL, b);
    }
}
