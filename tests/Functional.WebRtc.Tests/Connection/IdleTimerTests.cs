using Xunit;

namespace Functional.WebRtc.Tests.Connection;

/// <summary>The transport timer's due time (idle CPU): never before the deadline, and only a little after it.</summary>
public class IdleTimerTests
{
    [Theory]
    [InlineData(0.3)]
    [InlineData(1)]
    [InlineData(49.2)]
    [InlineData(199.9)]
    public void ShortDeadlinesAreRoundedUpOnly(double ms)
    {
        var delay = TimeSpan.FromMilliseconds(ms);
        Assert.Equal((long)Math.Ceiling(ms), PeerConnection.TimerDelay(delay));
    }

    [Fact]
    public void PastDeadlinesFireAtOnce()
    {
        Assert.Equal(0, PeerConnection.TimerDelay(TimeSpan.Zero));
        Assert.Equal(0, PeerConnection.TimerDelay(TimeSpan.FromMilliseconds(-5)));
    }

    [Theory]
    [InlineData(200)]
    [InlineData(999)]
    public void MiddleDeadlinesGetTheCoarseClockSlack(double ms)
    {
        var due = PeerConnection.TimerDelay(TimeSpan.FromMilliseconds(ms));
        Assert.InRange(due, (long)Math.Ceiling(ms) + 1, (long)Math.Ceiling(ms) + 5);
    }

    [Theory]
    [InlineData(1000)]
    [InlineData(1600.4)]
    [InlineData(2400)]
    [InlineData(5000)]
    [InlineData(30000)]
    public void IdleDeadlinesAreCoalescedAtMostAGridLater(double ms)
    {
        // RFC 7675: consent (and so a dead peer's detection at 30 s) may be a little late, never early. The grid is 100 ms
        // up to 4 s and 500 ms from there (consent checks every 4-6 s, the 30 s expiry, SCTP heartbeats).
        var due = PeerConnection.TimerDelay(TimeSpan.FromMilliseconds(ms));
        var grid = ms >= 4000 ? 500 : 100;
        Assert.InRange(due, (long)Math.Ceiling(ms) + 1, (long)Math.Ceiling(ms) + grid + 5 + 1);
    }
}
