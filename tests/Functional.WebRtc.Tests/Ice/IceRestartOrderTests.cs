using System.Net;
using Functional.WebRtc.Core.Ice;
using Functional.WebRtc.Core.Stun;

namespace Functional.WebRtc.Tests.Ice;

/// <summary>
/// The peer restarts ICE (its offer carries new credentials and its new candidates) and our restart follows only when our
/// answer is set, possibly much later on a loaded machine. In between, our agent must not mix generations: a check with
/// the peer's new ufrag and our old one makes Chromium's new generation learn our old ufrag for our address, and it then
/// rejects every check of our new generation (an unsigned 401), so the restart never reconnects.
/// </summary>
public class IceRestartOrderTests
{
    private static readonly TimeSpan Ten = TimeSpan.FromSeconds(10);

    private static (IceSim Sim, IceSim.Peer A, IceSim.Peer B) Connected(int seed)
    {
        var (sim, a, b) = IceSim.Pair(seed);
        sim.AddInterface(a, IceSim.Ep("192.0.2.1:5000"));
        sim.AddInterface(b, IceSim.Ep("192.0.2.2:6000"));
        Assert.True(sim.RunUntil(() => IceSim.BothConnected(a, b) && b.Agent.Pairs.Exists(p => p.Nominated), Ten));
        sim.AutoSignal = false;
        return (sim, a, b);
    }

    /// <summary>The USERNAME of every binding request <paramref name="p"/> sent from log index <paramref name="from"/> on.</summary>
    private static List<(IPEndPoint To, string User)> Requests(IceSim.Peer p, int from) =>
        p.Log.Skip(from).Select(l => l.Output).OfType<IceOutput.Transmit>()
            .Select(t => StunMessage.TryParse(t.Data.Span, out var m, out _) && m.Class == StunClass.Request && m.Method == StunMethod.Binding
                ? (t.To, m.Get<StunAttribute.Username>()?.Value ?? "")
                : (t.To, (string?)null))
            .Where(x => x.Item2 is not null).Select(x => (x.To, x.Item2!)).ToList();

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void TheAnswerersChecksNeverMixGenerationsWhileItsRestartIsPending(int seed)
    {
        var (sim, a, b) = Connected(seed);
        // The offerer (controlling, like Chromium) restarts on a new port; its offer reaches b.
        sim.Apply(a, new IceInput.Restart("a2ufrag", "a2password-0123456789"));
        var newPort = IceSim.Ep("192.0.2.1:5001");
        sim.AddInterface(a, newPort);
        var offered = a.Gathered.Single(c => c.Port == 5001);
        var mark = b.Log.Count;
        sim.Apply(b, new IceInput.SetRemoteCredentials("a2ufrag", "a2password-0123456789"));
        sim.Apply(b, new IceInput.AddRemoteCandidate(offered));
        sim.Apply(b, new IceInput.RemoteEndOfCandidates());
        // The answer takes a while (a loaded machine): b's timers run meanwhile, consent checks included.
        sim.RunFor(TimeSpan.FromSeconds(6));
        Assert.DoesNotContain(Requests(b, mark), r => r.User == "a2ufrag:bufrag");
        Assert.DoesNotContain(Requests(b, mark), r => r.To.Equals(newPort));
        Assert.Equal("aufrag", b.Agent.RemoteUfrag); // the running generation keeps its credentials until b restarts

        // b's answer: b restarts, the pending offer's credentials and candidates take effect with it.
        sim.Apply(b, new IceInput.Restart("b2ufrag", "b2password-0123456789"));
        Assert.Equal("a2ufrag", b.Agent.RemoteUfrag);
        Assert.Contains(b.Agent.Pairs, p => p.RemoteEndPoint.Equals(newPort));
        Assert.True(b.Agent.RemoteEndOfCandidates);
        sim.Apply(a, new IceInput.SetRemoteCredentials("b2ufrag", "b2password-0123456789"));
        foreach (var c in b.Gathered.Distinct()) sim.Apply(a, new IceInput.AddRemoteCandidate(c));
        Assert.True(sim.RunUntil(() => b.Agent.Pairs.Exists(p => p.Nominated) && a.Agent.Pairs.Exists(p => p.Nominated), Ten));
        Assert.Contains(b.Agent.Pairs, p => p.RemoteEndPoint.Equals(newPort) && p.Valid); // checked with the new credentials
        Assert.True(IceSim.BothConnected(a, b));
        // Every request b ever sent carried one generation's ufrags on both sides.
        Assert.All(Requests(b, 0), r => Assert.Contains(r.User, new[] { "aufrag:bufrag", "a2ufrag:b2ufrag" }));
        Assert.All(Requests(a, 0), r => Assert.Contains(r.User, new[] { "bufrag:aufrag", "b2ufrag:a2ufrag" }));
    }

    [Fact]
    public void TheSameCredentialsAgainAreNoRestartAndARollbackDropsThePendingOne()
    {
        var (sim, _, b) = Connected(4);
        var pairs = b.Agent.Pairs;
        sim.Apply(b, new IceInput.SetRemoteCredentials("aufrag", "apassword-0123456789"));
        Assert.Null(b.Agent.PendingRemote);
        Assert.Equal(pairs, b.Agent.Pairs);
        sim.Apply(b, new IceInput.SetRemoteCredentials("a2ufrag", "a2password-0123456789"));
        Assert.NotNull(b.Agent.PendingRemote);
        sim.Apply(b, new IceInput.SetRemoteCredentials("aufrag", "apassword-0123456789")); // the offer rolled back
        Assert.Null(b.Agent.PendingRemote);
        sim.Apply(b, new IceInput.Restart("b2ufrag", "b2password-0123456789"));
        Assert.Null(b.Agent.RemoteUfrag);
    }
}
