using System.Net;
using Functional.WebRtc.Core;
using Functional.WebRtc.Core.Ice;
using Functional.WebRtc.Core.Stun;
using Functional.WebRtc.Testing;

namespace Functional.WebRtc.Tests.Ice;

public class IceAgentTests
{
    private static readonly TimeSpan Ten = TimeSpan.FromSeconds(10);

    private static (IceSim, IceSim.Peer, IceSim.Peer) Connected(int seed = 1, LinkProfile? profile = null)
    {
        var (sim, a, b) = IceSim.Pair(seed, profile);
        sim.AddInterface(a, IceSim.Ep("192.0.2.1:5000"));
        sim.AddInterface(b, IceSim.Ep("192.0.2.2:6000"));
        Assert.True(sim.RunUntil(() => IceSim.BothConnected(a, b), Ten), "agents did not connect");
        return (sim, a, b);
    }

    [Fact]
    public void HostCandidatesAreGatheredOnceWithRfcPriorities()
    {
        var (sim, a, _) = IceSim.Pair(1);
        sim.AutoSignal = false;
        sim.AddInterface(a, IceSim.Ep("192.0.2.1:5000"));
        sim.AddInterface(a, IceSim.Ep("192.0.2.1:5000"));
        sim.AddInterface(a, IceSim.Ep("[fd00::1]:5001"));
        sim.RunFor(TimeSpan.FromSeconds(1));
        var gathered = a.Gathered.ToList();
        Assert.Equal(2, gathered.Count);
        Assert.All(gathered, c => Assert.Equal(IceCandidateType.Host, c.Type));
        Assert.Equal(126u, gathered[0].Priority >> 24);
        Assert.True(gathered[1].Priority > gathered[0].Priority, "IPv6 host preferred");
        Assert.Single(a.Log, l => l.Output is IceOutput.GatheringComplete);
        Assert.Equal(IceGatheringState.Complete, a.Agent.GatheringState);
        Assert.StartsWith("candidate:", gathered[0].ToString());
        Assert.Contains(" udp ", gathered[0].ToString());
        Assert.EndsWith("192.0.2.1 5000 typ host", gathered[0].ToString());
    }

    [Fact]
    public void FilterDropsLoopbackAndFamilies()
    {
        var cfg = IceSim.Config("a", true) with { Filter = new IceCandidateFilter(IncludeLoopback: false, IPv6: false, Allow: ip => !ip.Equals(IPAddress.Parse("203.0.113.99"))) };
        var sim = new IceSim(1);
        var a = sim.Add("a", cfg, 1);
        sim.AddInterface(a, IceSim.Ep("127.0.0.1:1"));
        sim.AddInterface(a, IceSim.Ep("[fd00::1]:2"));
        sim.AddInterface(a, IceSim.Ep("203.0.113.99:3"));
        sim.AddInterface(a, IceSim.Ep("192.0.2.1:4"));
        Assert.Equal(new[] { "192.0.2.1" }, a.Gathered.Select(c => c.Address));
    }

    [Fact]
    public void TwoAgentsConnectAndSelectTheSamePair()
    {
        var (_, a, b) = Connected();
        Assert.True(a.Agent.Controlling);
        Assert.False(b.Agent.Controlling);
        Assert.Contains(IceConnectionState.Checking, a.States);
        Assert.Contains(a.Agent.Pairs, p => p.Nominated);
        Assert.Contains(a.Log, l => l.Output is IceOutput.SelectedPairChanged);
        Assert.Contains(b.Log, l => l.Output is IceOutput.SelectedPairChanged);
    }

    [Fact]
    public void ApplicationDataFlowsOverTheSelectedPair()
    {
        var (sim, a, b) = Connected();
        sim.Apply(a, new IceInput.Send(new byte[] { 23, 1, 2, 3 }));
        var t = Assert.Single(a.Log.Skip(a.Log.Count - 3).Select(l => l.Output).OfType<IceOutput.Transmit>());
        Assert.Equal(a.Agent.Selected!.Local.Socket, t.From);
        Assert.Equal(b.Agent.Selected!.Local.Socket, t.To);
    }

    [Fact]
    public void ReachesCompletedAfterEndOfCandidates()
    {
        var (sim, a, b) = Connected();
        Assert.True(sim.RunUntil(() => a.Agent.State == IceConnectionState.Completed && b.Agent.State == IceConnectionState.Completed, Ten));
    }

    [Fact]
    public void SameInputsGiveSameOutputs()
    {
        var (_, a1, _) = Connected(seed: 5, LinkProfile.Lossy(0.1, 1, 30));
        var (_, a2, _) = Connected(seed: 5, LinkProfile.Lossy(0.1, 1, 30));
        Assert.Equal(a1.Log, a2.Log);
        Assert.Equal(a1.Agent, a2.Agent);
    }

    [Fact]
    public void ConnectsWithMultipleInterfacesAndNeverSelectsAFailedPair()
    {
        var (sim, a, b) = IceSim.Pair(3);
        sim.AddInterface(a, IceSim.Ep("192.0.2.1:5000"));
        sim.AddInterface(a, IceSim.Ep("198.51.100.101:5000"));
        sim.AddInterface(b, IceSim.Ep("192.0.2.2:6000"));
        sim.AddInterface(b, IceSim.Ep("198.51.100.102:6000"));
        // Only the 198.51.100 <-> 198.51.100 paths work.
        foreach (var x in new[] { "192.0.2.1:5000", "198.51.100.101:5000" })
            foreach (var y in new[] { "192.0.2.2:6000", "198.51.100.102:6000" })
                if (!(x.StartsWith("198.51.100") && y.StartsWith("198.51.100")))
                {
                    sim.Net.SetDown(IceSim.Ep(x), IceSim.Ep(y), true);
                    sim.Net.SetDown(IceSim.Ep(y), IceSim.Ep(x), true);
                }
        Assert.True(sim.RunUntil(() => IceSim.BothConnected(a, b), TimeSpan.FromSeconds(20)));
        Assert.Equal(IPAddress.Parse("198.51.100.101"), a.Agent.Selected!.Local.Address.Address);
        sim.RunFor(TimeSpan.FromSeconds(20));
        var selected = a.Agent.Pairs.Single(p => p.Nominated);
        Assert.Equal(CandidatePairState.Succeeded, selected.State);
        Assert.Contains(a.Agent.Pairs, p => p.State == CandidatePairState.Failed);
        Assert.True(IceSim.BothConnected(a, b));
    }

    [Fact]
    public void NoPathMeansFailed()
    {
        var (sim, a, b) = IceSim.Pair(4);
        sim.AddInterface(a, IceSim.Ep("192.0.2.1:5000"));
        sim.AddInterface(b, IceSim.Ep("192.0.2.2:6000"));
        sim.Net.SetDown(IceSim.Ep("192.0.2.1:5000"), IceSim.Ep("192.0.2.2:6000"), true);
        sim.Net.SetDown(IceSim.Ep("192.0.2.2:6000"), IceSim.Ep("192.0.2.1:5000"), true);
        Assert.True(sim.RunUntil(() => a.Agent.State == IceConnectionState.Failed && b.Agent.State == IceConnectionState.Failed, TimeSpan.FromSeconds(60)));
        Assert.DoesNotContain(IceConnectionState.Connected, a.States);
    }

    [Fact]
    public void StaysConnectedThroughShortLoss()
    {
        var (sim, a, b) = Connected();
        sim.Net.Default = LinkProfile.Lossy(0.3, 1, 20);
        sim.RunFor(TimeSpan.FromSeconds(20));
        sim.Net.Default = LinkProfile.Lossy(0, 1, 10);
        sim.RunFor(TimeSpan.FromSeconds(5));
        Assert.True(IceSim.BothConnected(a, b));
        Assert.DoesNotContain(IceConnectionState.Failed, a.States);
    }

    private static void Cut(IceSim sim, IceSim.Peer a, IceSim.Peer b, bool down)
    {
        var x = a.Agent.Selected!.Local.Socket;
        var y = b.Agent.Selected!.Local.Socket;
        sim.Net.SetDown(x, y, down);
        sim.Net.SetDown(y, x, down);
    }

    [Fact]
    public void ConsentExpiryGoesDisconnectedThenFailed()
    {
        var (sim, a, b) = Connected();
        var cutAt = sim.Now;
        Cut(sim, a, b, true);
        Assert.True(sim.RunUntil(() => a.Agent.State == IceConnectionState.Disconnected, TimeSpan.FromSeconds(10)));
        Assert.InRange(sim.Now - cutAt, TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(8));
        Assert.True(sim.RunUntil(() => a.Agent.State == IceConnectionState.Failed && b.Agent.State == IceConnectionState.Failed, TimeSpan.FromSeconds(40)));
        Assert.InRange(sim.Now - cutAt, TimeSpan.FromSeconds(28), TimeSpan.FromSeconds(35));
        // After consent expiry nothing more is sent for application data.
        var before = a.Log.Count;
        sim.Apply(a, new IceInput.Send(new byte[] { 23 }));
        Assert.DoesNotContain(a.Log.Skip(before), l => l.Output is IceOutput.Transmit);
    }

    [Fact]
    public void ReturningTrafficGoesBackToConnected()
    {
        var (sim, a, b) = Connected();
        Cut(sim, a, b, true);
        Assert.True(sim.RunUntil(() => a.Agent.State == IceConnectionState.Disconnected && b.Agent.State == IceConnectionState.Disconnected, TimeSpan.FromSeconds(10)));
        Cut(sim, a, b, false);
        Assert.True(sim.RunUntil(() => IceSim.BothConnected(a, b), TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void RoleConflictResolves()
    {
        foreach (var bothControlling in new[] { true, false })
        {
            var (sim, a, b) = IceSim.Pair(11, configA: c => c with { Controlling = bothControlling }, bControlling: bothControlling);
            sim.AddInterface(a, IceSim.Ep("192.0.2.1:5000"));
            sim.AddInterface(b, IceSim.Ep("192.0.2.2:6000"));
            Assert.True(sim.RunUntil(() => IceSim.BothConnected(a, b), Ten), $"bothControlling={bothControlling}");
            Assert.NotEqual(a.Agent.Controlling, b.Agent.Controlling);
            Assert.Equal(a.Agent.TieBreaker > b.Agent.TieBreaker, a.Agent.Controlling);
        }
    }

    [Fact]
    public void TrickleCandidatesAfterChecksStart()
    {
        var (sim, a, b) = IceSim.Pair(6);
        sim.AutoSignal = false;
        sim.AddInterface(a, IceSim.Ep("192.0.2.1:5000"));
        sim.AddInterface(b, IceSim.Ep("192.0.2.2:6000"));
        // a learns b's candidate first; checks start, b learns a as peer-reflexive, then a's candidate arrives late.
        sim.Apply(a, new IceInput.AddRemoteCandidate(b.Gathered.Single()));
        sim.RunFor(TimeSpan.FromMilliseconds(30));
        Assert.Equal(IceConnectionState.Checking, a.Agent.State);
        sim.Apply(b, new IceInput.AddRemoteCandidate(a.Gathered.Single()));
        Assert.True(sim.RunUntil(() => IceSim.BothConnected(a, b), Ten));
        Assert.Equal(IceCandidateType.Host, b.Agent.Selected!.Remote.Type); // the signaled candidate replaced the prflx one
    }

    [Fact]
    public void PeerReflexiveRemoteIsLearnedFromChecks()
    {
        var (sim, a, b) = IceSim.Pair(8);
        sim.AutoSignal = false;
        sim.AddInterface(a, IceSim.Ep("192.0.2.1:5000"));
        sim.AddInterface(b, IceSim.Ep("192.0.2.2:6000"));
        sim.Apply(a, new IceInput.AddRemoteCandidate(b.Gathered.Single()));
        Assert.True(sim.RunUntil(() => IceSim.BothConnected(a, b), Ten));
        Assert.Equal(IceCandidateType.Prflx, b.Agent.Selected!.Remote.Type);
    }

    [Fact]
    public void RestartKeepsTheOldPairUntilANewOneIsNominated()
    {
        var (sim, a, b) = Connected();
        var oldA = a.Agent.Selected;
        sim.Apply(a, new IceInput.Restart("a2ufrag", "a2password-0123456789"));
        sim.Apply(b, new IceInput.Restart("b2ufrag", "b2password-0123456789"));
        Assert.Equal(oldA, a.Agent.Selected);
        Assert.DoesNotContain(a.Agent.Pairs, p => p.Valid || p.Nominated);
        sim.RunFor(TimeSpan.FromSeconds(1));
        Assert.True(a.Agent.IsConnected);
        Assert.Equal(oldA, a.Agent.Selected);
        var before = a.Log.Count;
        sim.Apply(a, new IceInput.Send(new byte[] { 23 }));
        Assert.Contains(a.Log.Skip(before), l => l.Output is IceOutput.Transmit);
        sim.Apply(a, new IceInput.SetRemoteCredentials(b.Agent.LocalUfrag, b.Agent.LocalPwd));
        sim.Apply(b, new IceInput.SetRemoteCredentials(a.Agent.LocalUfrag, a.Agent.LocalPwd));
        foreach (var c in a.Gathered.Distinct()) sim.Apply(b, new IceInput.AddRemoteCandidate(c));
        foreach (var c in b.Gathered.Distinct()) sim.Apply(a, new IceInput.AddRemoteCandidate(c));
        Assert.True(sim.RunUntil(() => a.Agent.Pairs.Exists(p => p.Nominated) && b.Agent.Pairs.Exists(p => p.Nominated), Ten));
        Assert.True(IceSim.BothConnected(a, b));
        Assert.Equal(1, a.Agent.Generation);
        Assert.DoesNotContain(IceConnectionState.Disconnected, a.States);
    }

    [Fact]
    public void ChecksCarryTheRequiredAttributesAndResponsesVerify()
    {
        var (sim, a, b) = IceSim.Pair(9);
        sim.AutoSignal = false;
        sim.AddInterface(a, IceSim.Ep("192.0.2.1:5000"));
        sim.AddInterface(b, IceSim.Ep("192.0.2.2:6000"));
        sim.Apply(a, new IceInput.AddRemoteCandidate(b.Gathered.Single()));
        sim.Apply(a, new IceInput.Tick(sim.Now));
        var check = a.Log.Select(l => l.Output).OfType<IceOutput.Transmit>().First().Data.ToArray();
        Assert.True(StunMessage.TryParse(check, out var req, out _));
        Assert.Equal("bufrag:aufrag", req.Get<StunAttribute.Username>()!.Value);
        Assert.NotNull(req.Get<StunAttribute.Priority>());
        Assert.Equal(a.Agent.TieBreaker, req.Get<StunAttribute.IceControlling>()!.TieBreaker);
        Assert.True(StunIntegrity.CheckMessageIntegrity(check, StunIntegrity.ShortTermKey(b.Agent.LocalPwd)));
        Assert.True(StunIntegrity.CheckFingerprint(check));
        var step = IceAgent.Handle(b.Agent, new IceInput.Received(sim.Now, IceSim.Ep("192.0.2.2:6000"), IceSim.Ep("192.0.2.1:5000"), check));
        var resp = step.Outputs.OfType<IceOutput.Transmit>().Single().Data.ToArray();
        Assert.True(StunMessage.TryParse(resp, out var r, out _));
        Assert.Equal(StunClass.SuccessResponse, r.Class);
        Assert.Equal(req.TransactionId, r.TransactionId);
        Assert.Equal(IceSim.Ep("192.0.2.1:5000"), r.Get<StunAttribute.XorMappedAddress>()!.EndPoint);
        Assert.True(StunIntegrity.CheckMessageIntegrity(resp, StunIntegrity.ShortTermKey(b.Agent.LocalPwd)));
        Assert.True(StunIntegrity.CheckFingerprint(resp));
        // A check with a wrong password is ignored.
        var bad = IceAgent.Handle(b.Agent, new IceInput.Received(sim.Now, IceSim.Ep("192.0.2.2:6000"), IceSim.Ep("192.0.2.1:5000"),
            StunMessage.Create(StunClass.Request, StunMethod.Binding, new TransactionId(1, 2), new StunAttribute.Username("bufrag:aufrag"))
                .Encode(StunIntegrity.ShortTermKey("wrong"), true)));
        Assert.Empty(bad.Outputs.OfType<IceOutput.Transmit>());
    }

    [Fact]
    public void CloseEmitsClosedAndIgnoresLaterInputs()
    {
        var (sim, a, _) = Connected();
        sim.Apply(a, new IceInput.Close());
        Assert.Equal(IceConnectionState.Closed, a.Agent.State);
        var step = IceAgent.Handle(a.Agent, new IceInput.Tick(sim.Now + Ten));
        Assert.Empty(step.Outputs);
    }

    [Fact]
    public void LiteAgentAnswersButNeverChecks()
    {
        var (sim, a, b) = IceSim.Pair(12, configB: c => c with { Lite = true });
        sim.AddInterface(a, IceSim.Ep("192.0.2.1:5000"));
        sim.AddInterface(b, IceSim.Ep("192.0.2.2:6000"));
        Assert.True(sim.RunUntil(() => IceSim.BothConnected(a, b), Ten));
        Assert.False(b.Agent.Controlling);
        Assert.DoesNotContain(b.Log.Select(l => l.Output).OfType<IceOutput.Transmit>(),
            t => StunMessage.TryParse(t.Data.Span, out var m, out _) && m.Class == StunClass.Request);
    }
    [Fact]
    public void UnknownComprehensionRequiredAttributeGets420()
    {
        var (sim, a, b) = IceSim.Pair(13);
        sim.AddInterface(b, IceSim.Ep("192.0.2.2:6000"));
        var req = StunMessage.Create(StunClass.Request, StunMethod.Binding, new TransactionId(3, 4),
            new StunAttribute.Username("bufrag:aufrag"), new StunAttribute.Unknown(0x0077, new byte[] { 1, 2, 3, 4 }))
            .Encode(StunIntegrity.ShortTermKey(b.Agent.LocalPwd), true);
        var step = IceAgent.Handle(b.Agent, new IceInput.Received(sim.Now, IceSim.Ep("192.0.2.2:6000"), IceSim.Ep("192.0.2.1:5000"), req));
        var resp = step.Outputs.OfType<IceOutput.Transmit>().Single().Data.ToArray();
        Assert.True(StunMessage.TryParse(resp, out var m, out _));
        Assert.Equal(StunClass.ErrorResponse, m.Class);
        Assert.Equal(420, m.Get<StunAttribute.ErrorCode>()!.Code);
        Assert.Equal(new ushort[] { 0x0077 }, m.Get<StunAttribute.UnknownAttributes>()!.Types.ToArray());
    }

    [Fact]
    public void NonStunDatagramsHandedToTheAgentAreDelivered()
    {
        var (sim, a, b) = Connected();
        var step = IceAgent.Handle(a.Agent, new IceInput.Received(sim.Now, a.Agent.Selected!.Local.Socket, b.Agent.Selected!.Local.Socket, new byte[] { 22, 254, 253 }));
        var d = step.Outputs.OfType<IceOutput.Deliver>().Single();
        Assert.Equal(new byte[] { 22, 254, 253 }, d.Data.ToArray());
    }

    [Fact]
    public void NothingIsSentAfterConsentExpires()
    {
        var (sim, a, b) = Connected();
        Cut(sim, a, b, true);
        Assert.True(sim.RunUntil(() => a.Agent.State == IceConnectionState.Failed, TimeSpan.FromSeconds(40)));
        var before = a.Log.Count;
        sim.RunFor(TimeSpan.FromSeconds(30));
        Assert.DoesNotContain(a.Log.Skip(before), l => l.Output is IceOutput.Transmit);
    }
    [Fact]
    public void ConnectsOverIpv6()
    {
        var (sim, a, b) = IceSim.Pair(14);
        sim.AddInterface(a, IceSim.Ep("[fd00::1]:5000"));
        sim.AddInterface(b, IceSim.Ep("[fd00::2]:6000"));
        Assert.True(sim.RunUntil(() => IceSim.BothConnected(a, b), Ten));
        Assert.Equal(IceSim.Ep("[fd00::2]:6000"), a.Agent.Selected!.RemoteEndPoint);
    }

    [Fact]
    public void MdnsAndTcpRemoteCandidatesAreNotPaired()
    {
        var (sim, a, _) = IceSim.Pair(15);
        sim.AutoSignal = false;
        sim.AddInterface(a, IceSim.Ep("192.0.2.1:5000"));
        sim.Apply(a, new IceInput.AddRemoteCandidate(new IceCandidate("1", 1, IceTransportProtocol.Udp, 1, "abc.local", 9, IceCandidateType.Host)));
        sim.Apply(a, new IceInput.AddRemoteCandidate(new IceCandidate("2", 1, IceTransportProtocol.Tcp, 1, "192.0.2.2", 9, IceCandidateType.Host, TcpType: IceTcpType.Passive)));
        Assert.Empty(a.Agent.Pairs);
    }
}
