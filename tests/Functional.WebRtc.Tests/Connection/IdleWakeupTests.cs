using System.Diagnostics;

namespace Functional.WebRtc.Tests.Connection;

/// <summary>
/// What an idle connected pair costs: how often its loops wake. Consent checks every 4-6 s on each side (RFC 7675 5.1)
/// make three loop work items per check (our timer, the peer's request, the answer to ours); SCTP heartbeats come every
/// 30 s. Anything near one wake-up per second per connection means a timer wakes with nothing due, or checks run too often.
/// </summary>
public class IdleWakeupTests
{
    private const int Pairs = 4;
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(4);
    /// <summary>The design makes at most 3 per connection in a 4 s window (~0.75/s); with 2 s consent checks it was ~1.5/s.</summary>
    private const double MaxWakeupsPerSecondPerConnection = 1.0;

    [Fact]
    public async Task AnIdleConnectedPairWakesItsLoopsRarely()
    {
        var pairs = new List<LoopbackPair>();
        try
        {
            for (var i = 0; i < Pairs; i++)
            {
                var pair = new LoopbackPair();
                pairs.Add(pair);
                await IceLoopbackTests.ConnectWithChannel(pair);
            }
            await Task.Delay(Settle); // handshake tails: DCEP acknowledgements, the last connectivity checks
            var connections = pairs.SelectMany(p => new[] { p.Offerer, p.Answerer }).ToList();
            var before = connections.Select(c => c.TransportWork).ToList();
            var clock = Stopwatch.StartNew();
            await Task.Delay(Window);
            var seconds = clock.Elapsed.TotalSeconds;
            var work = connections.Select((c, i) => c.TransportWork - before[i]).ToList();
            var perSecond = work.Sum() / seconds / connections.Count;
            Assert.True(perSecond <= MaxWakeupsPerSecondPerConnection,
                $"{perSecond:F2} loop wake-ups per second per idle connection (each: {string.Join(", ", work)} in {seconds:F1} s)");
            Assert.All(pairs, p => Assert.Equal(PeerConnectionState.Connected, p.Offerer.ConnectionState));
            foreach (var pair in pairs) await pair.DisposeAsync();
            // Closed connections leave nothing on the process-wide grid timer (it would keep them alive).
            Assert.All(connections, c => Assert.Equal(0L, GridSlotOf(c)));
        }
        finally
        {
            foreach (var pair in pairs) await pair.DisposeAsync();
        }
    }

    private static long GridSlotOf(PeerConnection pc) =>
        (long)typeof(PeerConnection).GetField("_gridSlot", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!
            .GetValue(pc)!;
}
