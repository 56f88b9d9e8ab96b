using Functional.WebRtc.Core.Sctp;
using Functional.WebRtc.Testing;

namespace Functional.WebRtc.Tests.Sctp;

/// <summary>PLPMTUD (RFC 8899) inside the association, two associations over a simulated path with an MTU.</summary>
public class SctpPathMtuTests
{
    private static readonly SctpConfig On = SctpConfig.Default with { PathMtuDiscovery = true };

    private static byte[] Message(int size, int seed) => Enumerable.Range(0, size).Select(i => (byte)(i * 31 + seed)).ToArray();

    private static void SendAndDeliver(SctpPair p, int count, int size)
    {
        var before = p.Delivered["b"].Count;
        for (var i = 0; i < count; i++) p.Send("a", 1, Message(size, i));
        Assert.True(p.RunUntil(() => p.Delivered["b"].Count == before + count, TimeSpan.FromSeconds(120)), p.A.DebugState());
        for (var i = 0; i < count; i++) Assert.Equal(Message(size, i), p.Delivered["b"][before + i].Payload);
    }

    [Fact]
    public void APathThatCarriesLargePacketsIsUsedAtTheLargestSize()
    {
        var p = new SctpPair(1, LinkProfile.Perfect, On);
        Assert.True(p.Connect());
        p.RunUntil(() => false, TimeSpan.FromSeconds(3));
        Assert.Equal(PmtuPhase.Disabled, p.A.PathMtu.Phase); // an idle association does not probe
        SendAndDeliver(p, 2, 60_000); // bulk data starts the search
        p.RunUntil(() => false, TimeSpan.FromSeconds(3));
        Assert.Equal(16384, p.A.Mtu);
        Assert.Equal(PmtuPhase.SearchComplete, p.A.PathMtu.Phase);
        SendAndDeliver(p, 10, 60_000);
        Assert.InRange(p.MaxPacket, 15_000, 16384);
    }

    [Fact]
    public void APeerThatDoesNotPadItsInitIsNeverProbed()
    {
        var p = new SctpPair(2, LinkProfile.Perfect, On, SctpConfig.Default);
        Assert.True(p.Connect());
        p.RunUntil(() => false, TimeSpan.FromSeconds(30));
        SendAndDeliver(p, 5, 30_000);
        Assert.True(p.MaxPacket <= 1200);
        Assert.Equal(PmtuPhase.Disabled, p.A.PathMtu.Phase);
        Assert.Equal(1200, p.A.Mtu);
    }

    [Fact]
    public void TheSearchSettlesJustBelowThePathMtu()
    {
        var p = new SctpPair(3, LinkProfile.Perfect, On) { PathMtu = 4000 };
        Assert.True(p.Connect());
        SendAndDeliver(p, 2, 60_000);
        // Each size that fails takes MAX_PROBES lost probes of a second each; a dozen sizes at most.
        p.RunUntil(() => p.A.PathMtu.Phase == PmtuPhase.SearchComplete, TimeSpan.FromSeconds(120));
        Assert.Equal(PmtuPhase.SearchComplete, p.A.PathMtu.Phase);
        Assert.InRange(p.A.Mtu, 4000 - 64, 4000);
        SendAndDeliver(p, 10, 20_000);
    }

    [Fact]
    public void ABlackHoleFallsBackToTheBaseSizeAndDataStillArrives()
    {
        var p = new SctpPair(4, LinkProfile.Lossy(0, 5, 5), On);
        Assert.True(p.Connect());
        SendAndDeliver(p, 2, 60_000);
        p.RunUntil(() => false, TimeSpan.FromSeconds(3));
        Assert.Equal(16384, p.A.Mtu);
        SendAndDeliver(p, 3, 50_000);
        p.PathMtu = 1200; // the path changes under the association: large packets vanish
        SendAndDeliver(p, 5, 50_000);
        Assert.True(p.A.Stats.T3Expiries >= 2);
        Assert.True(p.A.Mtu < 16384);
        // The search resumes below the size that failed and settles at what the path now carries.
        p.RunUntil(() => p.A.PathMtu.Phase == PmtuPhase.SearchComplete, TimeSpan.FromSeconds(120));
        Assert.Equal(1200, p.A.Mtu);
        SendAndDeliver(p, 3, 10_000);
    }
}
