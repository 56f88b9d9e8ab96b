using Functional.WebRtc.Testing;

namespace Functional.WebRtc.Tests.Testing;

public class SimNetworkTests
{
    [Fact]
    public void PerfectLinkDeliversInOrderAtSendTime()
    {
        var net = new SimNetwork<string, int>(1);
        for (var i = 0; i < 10; i++) net.Send(TimeSpan.FromMilliseconds(i), "a", "b", i);
        var got = new List<int>();
        while (net.TryReceive(TimeSpan.FromSeconds(1), out var d)) got.Add(d.Payload);
        Assert.Equal(Enumerable.Range(0, 10), got);
    }

    [Fact]
    public void LossAndDelayFollowTheSeed()
    {
        List<(TimeSpan, int)> Run(int seed)
        {
            var net = new SimNetwork<string, int>(seed, LinkProfile.Lossy(0.3, 5, 50) with { Reorder = 0.2, Duplicate = 0.1 });
            for (var i = 0; i < 200; i++) net.Send(TimeSpan.FromMilliseconds(i), "a", "b", i);
            var got = new List<(TimeSpan, int)>();
            while (net.TryReceive(TimeSpan.FromSeconds(10), out var d)) got.Add((d.At, d.Payload));
            return got;
        }
        var first = Run(7);
        Assert.Equal(first, Run(7));
        Assert.InRange(first.Count, 100, 180);
        Assert.Contains(first.Zip(first.Skip(1)), p => p.Item1.Item2 > p.Item2.Item2); // some reordering
    }

    [Fact]
    public void DownPathDropsEverything()
    {
        var net = new SimNetwork<string, int>(1);
        net.SetDown("a", "b", true);
        net.Send(TimeSpan.Zero, "a", "b", 1);
        net.Send(TimeSpan.Zero, "b", "a", 2);
        Assert.True(net.TryReceive(TimeSpan.FromSeconds(1), out var d));
        Assert.Equal(2, d.Payload);
        Assert.False(net.TryReceive(TimeSpan.FromSeconds(1), out _));
    }
}
