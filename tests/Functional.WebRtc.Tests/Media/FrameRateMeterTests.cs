using Functional.WebRtc.Media;
using Functional.WebRtc.Testing;

namespace Functional.WebRtc.Tests.Media;

/// <summary>framesPerSecond (W3C webrtc-stats) from RTP timestamps: a frame per new timestamp, counted over the last second.</summary>
public class FrameRateMeterTests
{
    private static TimeSpan Ms(double ms) => TimeSpan.FromMilliseconds(ms);

    [Fact]
    public void PacketsOfOneFrameCountOnceAndOldFramesFallOutOfTheSecond()
    {
        var meter = new FrameRateMeter();
        Assert.Equal(0, meter.PerSecond(Ms(0)));
        for (var f = 0; f < 30; f++)
            for (var p = 0; p < 3; p++) meter.Packet((uint)(f * 3000), Ms(f * 33.3 + p)); // 30 fps, three packets a frame
        Assert.Equal(30, meter.Frames);
        Assert.Equal(30, meter.PerSecond(Ms(999)));
        Assert.Equal(15, meter.PerSecond(Ms(1000 + 15 * 33.3 - 1))); // frames 0..14 are now more than a second old
        Assert.Equal(0, meter.PerSecond(Ms(3000)));
        Assert.Equal(30, meter.Frames); // the total stays
    }

    [Fact]
    public void ReorderedAndRepeatedTimestampsAreNotNewFramesButWrapIs()
    {
        var meter = new FrameRateMeter();
        meter.Packet(uint.MaxValue - 1000, Ms(0));
        meter.Packet(uint.MaxValue - 4000, Ms(1)); // older: a late packet of an earlier frame
        meter.Packet(uint.MaxValue - 1000, Ms(2)); // same frame
        meter.Packet(2000, Ms(3));                 // newer across the 32-bit wrap (RFC 3550 timestamps are modular)
        Assert.Equal(2, meter.Frames);
        Assert.Equal(2, meter.PerSecond(Ms(10)));
    }

    [Fact]
    public void MoreFramesThanTheRingHoldsReadAsTheCapacity()
    {
        var meter = new FrameRateMeter();
        for (var f = 0; f < FrameRateMeter.Capacity + 50; f++) meter.Packet((uint)f, Ms(f));
        Assert.Equal(FrameRateMeter.Capacity, meter.PerSecond(Ms(FrameRateMeter.Capacity + 50)));
        Assert.Equal(FrameRateMeter.Capacity + 50, meter.Frames);
    }

    /// <summary>At a steady rate of n frames a second with k packets each, the last second holds n frames.</summary>
    [Property(MaxTest = 100)]
    public bool SteadyRateReadsAsThatRate(byte rate, byte packets, byte seconds)
    {
        var n = 1 + rate % 120;
        var k = 1 + packets % 5;
        var total = n * (1 + seconds % 3);
        var meter = new FrameRateMeter();
        var interval = 1000.0 / n;
        for (var f = 0; f < total; f++)
            for (var p = 0; p < k; p++) meter.Packet((uint)(f * 90000 / n), Ms(f * interval + p * 0.01));
        var last = (total - 1) * interval;
        return meter.PerSecond(Ms(last + 0.5)) == n && meter.Frames == total;
    }
}
