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

    /// <summary>
    /// What Chromium did in the failing runs (captured on the wire): after its restart its new port pinged our old
    /// candidate with our OLD ufrag and its new one ("bufrag:a2ufrag", USE-CANDIDATE), before our answer; it keeps that
    /// ufrag for our address afterwards, answering only checks that carry it ("a2ufrag:bufrag") and rejecting checks with
    /// our new ufrag with an unsigned 401. Scripted here against agent b, in simulated time: b must answer such a request
    /// after its own restart (with its previous key) and check that peer with the ufrag it knows, so both sides connect.
    /// </summary>
    [Fact]
    public void APeerWhoseNewGenerationKnowsOurPreviousUfragIsAnsweredAndCheckedWithIt()
    {
        var (sim, a, b) = Connected(5);
        var oldKey = StunIntegrity.ShortTermKey("bpassword-0123456789");
        var newKeyA = StunIntegrity.ShortTermKey("a2password-0123456789");
        var chromeNew = IceSim.Ep("192.0.2.1:5001");
        var ours = IceSim.Ep("192.0.2.2:6000");
        var entropy = new Functional.WebRtc.Core.Entropy(99);
        byte[] Ping(bool useCandidate)
        {
            (var id, entropy) = TransactionId.New(entropy);
            var m = StunMessage.Create(StunClass.Request, StunMethod.Binding, id, new StunAttribute.Username("bufrag:a2ufrag"),
                new StunAttribute.Priority(1_845_501_695), new StunAttribute.IceControlling(ulong.MaxValue));
            if (useCandidate) m = m.With(new StunAttribute.UseCandidate());
            return m.Encode(oldKey, fingerprint: true);
        }

        // The offer (a's new credentials and its new port's candidate) reaches b, then the answer restarts b.
        sim.Apply(b, new IceInput.SetRemoteCredentials("a2ufrag", "a2password-0123456789"));
        sim.Apply(b, new IceInput.AddRemoteCandidate(new IceCandidate("1", 1, IceTransportProtocol.Udp, 2_122_260_223, "192.0.2.1", 5001, IceCandidateType.Host)));
        sim.Apply(b, new IceInput.Restart("b2ufrag", "b2password-0123456789"));
        sim.Apply(b, new IceInput.Tick(sim.Now));

        // Chromium's nominating ping with our previous ufrag: answered, signed with our previous key.
        var mark = b.Log.Count;
        sim.Apply(b, new IceInput.Received(sim.Now, ours, chromeNew, Ping(useCandidate: true)));
        var response = b.Log.Skip(mark).Select(l => l.Output).OfType<IceOutput.Transmit>().Select(t => t.Data.ToArray())
            .FirstOrDefault(d => StunMessage.TryParse(d, out var m, out _) && m.Class == StunClass.SuccessResponse);
        Assert.NotNull(response);
        Assert.True(StunIntegrity.CheckMessageIntegrity(response, oldKey));

        // b's next check to that peer carries the ufrag it knows; Chromium answers it (signed with its new key).
        sim.RunFor(TimeSpan.FromMilliseconds(100));
        var check = b.Log.Skip(mark).Select(l => l.Output).OfType<IceOutput.Transmit>().Where(t => t.To.Equals(chromeNew))
            .Select(t => t.Data.ToArray()).Last(d => StunMessage.TryParse(d, out var m, out _) && m.Class == StunClass.Request);
        Assert.True(StunMessage.TryParse(check, out var req, out _));
        Assert.Equal("a2ufrag:bufrag", req.Get<StunAttribute.Username>()!.Value);
        Assert.True(StunIntegrity.CheckMessageIntegrity(check, newKeyA));
        var ok = StunMessage.Create(StunClass.SuccessResponse, StunMethod.Binding, req.TransactionId, new StunAttribute.XorMappedAddress(ours))
            .Encode(newKeyA, fingerprint: true);
        sim.Apply(b, new IceInput.Received(sim.Now, ours, chromeNew, ok));

        // The pair Chromium nominated is valid and selected: b is connected on the new generation's pair.
        Assert.True(b.Agent.IsConnected);
        Assert.Equal(chromeNew, b.Agent.Selected!.RemoteEndPoint);
        Assert.Contains(b.Agent.Pairs, p => p.Nominated && p.RemoteEndPoint.Equals(chromeNew));
        // Consent to it carries the ufrag it knows too; requests of a's old generation stay unanswered.
        mark = b.Log.Count;
        sim.RunFor(TimeSpan.FromSeconds(8));
        var consent = b.Log.Skip(mark).Select(l => l.Output).OfType<IceOutput.Transmit>().Where(t => t.To.Equals(chromeNew))
            .Select(t => StunMessage.TryParse(t.Data.Span, out var m, out _) ? m : null).Where(m => m?.Class == StunClass.Request).ToList();
        Assert.NotEmpty(consent);
        Assert.All(consent, m => Assert.Equal("a2ufrag:bufrag", m!.Get<StunAttribute.Username>()!.Value));
        (var oldId, entropy) = TransactionId.New(entropy);
        var oldGeneration = StunMessage.Create(StunClass.Request, StunMethod.Binding, oldId, new StunAttribute.Username("bufrag:aufrag"),
            new StunAttribute.Priority(1), new StunAttribute.IceControlling(ulong.MaxValue)).Encode(oldKey, fingerprint: true);
        mark = b.Log.Count;
        sim.Apply(b, new IceInput.Received(sim.Now, ours, IceSim.Ep("192.0.2.1:5000"), oldGeneration));
        Assert.DoesNotContain(b.Log.Skip(mark), l => l.Output is IceOutput.Transmit);

        // Once that peer uses our new ufrag, our checks to it carry the new one again.
        (var newId, entropy) = TransactionId.New(entropy);
        var current = StunMessage.Create(StunClass.Request, StunMethod.Binding, newId, new StunAttribute.Username("b2ufrag:a2ufrag"),
            new StunAttribute.Priority(1_845_501_695), new StunAttribute.IceControlling(ulong.MaxValue))
            .Encode(StunIntegrity.ShortTermKey("b2password-0123456789"), fingerprint: true);
        sim.Apply(b, new IceInput.Received(sim.Now, ours, chromeNew, current));
        mark = b.Log.Count;
        sim.RunFor(TimeSpan.FromSeconds(8));
        var later = b.Log.Skip(mark).Select(l => l.Output).OfType<IceOutput.Transmit>().Where(t => t.To.Equals(chromeNew))
            .Select(t => StunMessage.TryParse(t.Data.Span, out var m, out _) ? m : null).Where(m => m?.Class == StunClass.Request).ToList();
        // (a transaction already in flight retransmits its own bytes; new ones carry the new ufrag)
        Assert.NotEmpty(later);
        Assert.Equal("a2ufrag:b2ufrag", later[^1]!.Get<StunAttribute.Username>()!.Value);
    }
}
