using Functional.WebRtc.Core.Ice;
using Functional.WebRtc.Core.Stun;

namespace Functional.WebRtc.Tests.Ice;

/// <summary>
/// Consent freshness timing (RFC 7675 5.1) of idle connected agents, in simulated time: checks 4-6 s apart, no wake-up
/// that sends nothing, no "disconnected" on a healthy path, and a dead peer still disconnected then failed on time.
/// </summary>
public class ConsentTimingTests
{
    private static readonly TimeSpan Ten = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(2);

    private static (IceSim, IceSim.Peer, IceSim.Peer) Connected(int seed, Func<IceAgentConfig, IceAgentConfig>? configB = null)
    {
        var (sim, a, b) = IceSim.Pair(seed, configB: configB);
        sim.AddInterface(a, IceSim.Ep("192.0.2.1:5000"));
        sim.AddInterface(b, IceSim.Ep("192.0.2.2:6000"));
        Assert.True(sim.RunUntil(() => IceSim.BothConnected(a, b), Ten), "agents did not connect");
        sim.RunFor(Settle); // nomination and the last connectivity checks
        return (sim, a, b);
    }

    private static bool IsBindingRequest(IceOutput o) =>
        o is IceOutput.Transmit t && StunMessage.TryParse(t.Data.Span, out var m, out _) &&
        m.Class == StunClass.Request && m.Method == StunMethod.Binding;

    private static List<TimeSpan> BindingRequestsSince(IceSim.Peer p, int from) =>
        p.Log.Skip(from).Where(l => IsBindingRequest(l.Output)).Select(l => l.At).ToList();

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void IdleAgentsCheckConsentEvery4To6Seconds(int seed)
    {
        var (sim, a, b) = Connected(seed);
        var (fromA, fromB) = (a.Log.Count, b.Log.Count);
        sim.RunFor(TimeSpan.FromSeconds(120));
        foreach (var (peer, from) in new[] { (a, fromA), (b, fromB) })
        {
            var sent = BindingRequestsSince(peer, from);
            Assert.InRange(sent.Count, 120 / 6 - 1, 120 / 4 + 1);
            for (var i = 1; i < sent.Count; i++)
                Assert.InRange(sent[i] - sent[i - 1], TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(6));
            Assert.DoesNotContain(IceConnectionState.Disconnected, peer.States);
            Assert.True(peer.Agent.IsConnected);
        }
    }

    [Fact]
    public void AnIdleAgentWakesOnlyToSendAConsentCheck()
    {
        var (sim, a, b) = Connected(4);
        var (inputsA, logA) = (a.Inputs.Count, a.Log.Count);
        sim.RunFor(TimeSpan.FromSeconds(60));
        // Every Tick after the handshake sends the next consent check: none finds nothing due (a wasted loop wake-up).
        var ticks = a.Inputs.Skip(inputsA).OfType<IceInput.Tick>().Select(t => t.At).ToList();
        var checks = BindingRequestsSince(a, logA);
        Assert.InRange(ticks.Count, 60 / 6 - 1, 60 / 4 + 1);
        Assert.Equal(ticks, checks);
    }

    [Fact]
    public void LiteAndFullAgentsStayConnectedThoughEachHearsTheOtherOnlyEvery4To6Seconds()
    {
        // A lite agent sends no checks: the full agent hears only the answers to its own, the lite one only those checks.
        var (sim, a, b) = Connected(5, c => c with { Lite = true });
        sim.RunFor(TimeSpan.FromSeconds(120));
        Assert.DoesNotContain(IceConnectionState.Disconnected, a.States);
        Assert.DoesNotContain(IceConnectionState.Disconnected, b.States);
        Assert.True(a.Agent.IsConnected && b.Agent.IsConnected);
    }

    private static void Cut(IceSim sim, IceSim.Peer a, IceSim.Peer b)
    {
        var x = a.Agent.Selected!.Local.Socket;
        var y = b.Agent.Selected!.Local.Socket;
        sim.Net.SetDown(x, y, true);
        sim.Net.SetDown(y, x, true);
    }

    [Theory]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(8)]
    public void ADeadPeerIsDisconnectedWithin7sAndFailed30sAfterTheLastConsent(int seed)
    {
        var (sim, a, b) = Connected(seed);
        sim.RunFor(TimeSpan.FromMilliseconds(seed * 700)); // cut at different points of the consent cycle
        var cutAt = sim.Now;
        var lastHeard = a.Agent.LastActivity;
        var lastConsent = a.Agent.LastConsent;
        Cut(sim, a, b);
        Assert.True(sim.RunUntil(() => a.Agent.State == IceConnectionState.Disconnected, Ten));
        // Five seconds of silence, and a check (at most 6 s after the last one) unanswered for a second.
        Assert.True(sim.Now - lastHeard >= TimeSpan.FromSeconds(5));
        Assert.True(sim.Now - cutAt <= TimeSpan.FromSeconds(7), $"disconnected {sim.Now - cutAt} after the cut");
        Assert.True(sim.RunUntil(() => a.Agent.State == IceConnectionState.Failed, TimeSpan.FromSeconds(40)));
        // RFC 7675 5.1: consent expires 30 s after the last response, not before.
        Assert.InRange(sim.Now - lastConsent, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(30.1));
    }

    [Fact]
    public void ALiteAgentIsDisconnectedOnceTheFullPeersChecksStop()
    {
        var (sim, a, b) = Connected(9, c => c with { Lite = true });
        var lastHeard = b.Agent.LastActivity;
        Cut(sim, a, b);
        Assert.True(sim.RunUntil(() => b.Agent.State == IceConnectionState.Disconnected, Ten));
        // Longer than the full peer's longest consent interval (6 s) plus the answer's grace.
        Assert.InRange(sim.Now - lastHeard, TimeSpan.FromSeconds(7), TimeSpan.FromSeconds(7.1));
    }
}
