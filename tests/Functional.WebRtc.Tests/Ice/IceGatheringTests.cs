using System.Net;
using Functional.WebRtc.Core.Ice;
using Functional.WebRtc.Core.Stun;
using LanguageExt;

namespace Functional.WebRtc.Tests.Ice;

public class IceGatheringTests
{
    private static readonly IPEndPoint Server = IceSim.Ep("198.51.100.1:3478");

    [Fact]
    public void ServerReflexiveCandidateIsGatheredThroughANat()
    {
        var sim = new IceSim(1);
        var server = new FakeTurnServer(Server, "u", "p") { MappedFor = ep => new IPEndPoint(IPAddress.Parse("203.0.113.7"), ep.Port + 1000) };
        sim.Nodes.Add(server);
        var a = sim.Add("a", IceSim.Config("a", true) with { StunServers = Seq1(Server) }, 1);
        sim.AddInterface(a, IceSim.Ep("192.0.2.1:5000"));
        Assert.True(sim.RunUntil(() => a.Agent.GatheringState == IceGatheringState.Complete, TimeSpan.FromSeconds(5)));
        var srflx = Assert.Single(a.Gathered, c => c.Type == IceCandidateType.Srflx);
        Assert.Equal("203.0.113.7", srflx.Address);
        Assert.Equal(6000, srflx.Port);
        Assert.Equal("192.0.2.1", srflx.RelatedAddress);
        Assert.Equal(5000, srflx.RelatedPort);
        Assert.Equal(100u, srflx.Priority >> 24);
        Assert.Contains("raddr 192.0.2.1 rport 5000", srflx.ToString());
        Assert.Single(a.Log, l => l.Output is IceOutput.GatheringComplete);
        // The gathering-complete news comes after every candidate.
        var order = a.Log.Select(l => l.Output).Where(o => o is IceOutput.LocalCandidate or IceOutput.GatheringComplete).ToList();
        Assert.IsType<IceOutput.GatheringComplete>(order.Last());
    }

    [Fact]
    public void UnreachableServersStillCompleteGathering()
    {
        var sim = new IceSim(1);
        var turn = new TurnServer(IceSim.Ep("198.51.100.9:3478"), "u", "p");
        var a = sim.Add("a", IceSim.Config("a", true) with { StunServers = Seq1(IceSim.Ep("198.51.100.8:3478")), TurnServers = Seq1(turn) }, 1);
        sim.AddInterface(a, IceSim.Ep("192.0.2.1:5000"));
        Assert.True(sim.RunUntil(() => a.Agent.GatheringState == IceGatheringState.Complete, TimeSpan.FromSeconds(20)));
        Assert.InRange(sim.Now, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(9));
        Assert.Equal(new[] { IceCandidateType.Host }, a.Gathered.Select(c => c.Type));
    }

    [Fact]
    public void TurnAllocationGivesARelayedCandidateAfterTheNonceDance()
    {
        var sim = new IceSim(1);
        var server = new FakeTurnServer(Server, "user", "secret");
        sim.Nodes.Add(server);
        var a = sim.Add("a", IceSim.Config("a", true) with { TurnServers = Seq1(new TurnServer(Server, "user", "secret")) }, 1);
        sim.AddInterface(a, IceSim.Ep("192.0.2.1:5000"));
        Assert.True(sim.RunUntil(() => a.Agent.GatheringState == IceGatheringState.Complete, TimeSpan.FromSeconds(5)));
        var relay = Assert.Single(a.Gathered, c => c.Type == IceCandidateType.Relay);
        Assert.Equal(Server.Address.ToString(), relay.Address);
        Assert.Equal(0u, relay.Priority >> 24);
        Assert.Equal(1, server.Allocates);
        // Refresh before expiry (600 s lifetime), surviving a stale nonce.
        server.StaleNonceOnce = true;
        sim.RunFor(TimeSpan.FromSeconds(560));
        Assert.Equal(1, server.Refreshes);
        Assert.Equal(1, server.StaleNonceSent);
        Assert.Equal(TurnAllocationState.Allocated, a.Agent.Allocations.Single().State);
    }

    [Fact]
    public void WrongTurnCredentialsFailTheAllocationButGatheringCompletes()
    {
        var sim = new IceSim(1);
        sim.Nodes.Add(new FakeTurnServer(Server, "user", "secret"));
        var a = sim.Add("a", IceSim.Config("a", true) with { TurnServers = Seq1(new TurnServer(Server, "user", "wrong")) }, 1);
        sim.AddInterface(a, IceSim.Ep("192.0.2.1:5000"));
        Assert.True(sim.RunUntil(() => a.Agent.GatheringState == IceGatheringState.Complete, TimeSpan.FromSeconds(5)));
        Assert.Equal(TurnAllocationState.Failed, a.Agent.Allocations.Single().State);
        Assert.DoesNotContain(a.Gathered, c => c.Type == IceCandidateType.Relay);
    }

    [Fact]
    public void RelayOnlyPolicyConnectsThroughTheRelay()
    {
        var server = new FakeTurnServer(Server, "user", "secret");
        Func<IceAgentConfig, IceAgentConfig> relay = c => c with
        {
            Policy = IceTransportPolicy.Relay,
            TurnServers = Seq1(new TurnServer(Server, "user", "secret")),
            StunServers = Seq1(Server),
        };
        var (sim, a, b) = IceSim.Pair(2, configA: relay, configB: relay);
        sim.Nodes.Add(server);
        sim.AddInterface(a, IceSim.Ep("192.0.2.1:5000"));
        sim.AddInterface(b, IceSim.Ep("192.0.2.2:6000"));
        Assert.True(sim.RunUntil(() => IceSim.BothConnected(a, b), TimeSpan.FromSeconds(10)));
        Assert.All(a.Gathered.Concat(b.Gathered), c => Assert.Equal(IceCandidateType.Relay, c.Type));
        Assert.Equal(IceCandidateType.Relay, a.Agent.Selected!.Local.Candidate.Type);
        Assert.Equal(IceCandidateType.Relay, b.Agent.Selected!.Local.Candidate.Type);
        // Everything either agent sent went to the TURN server.
        Assert.All(a.Log.Concat(b.Log).Select(l => l.Output).OfType<IceOutput.Transmit>(), t => Assert.Equal(Server, t.To));
        Assert.True(server.Relayed > 0);
        // Application data is wrapped (ChannelData once bound) and unwrapped on the other side.
        sim.RunFor(TimeSpan.FromSeconds(1));
        Assert.True(server.ChannelBinds >= 1);
        sim.Apply(a, new IceInput.Send(new byte[] { 23, 254, 253, 9 }));
        Assert.True(sim.RunUntil(() => b.Delivered.Count > 0, TimeSpan.FromSeconds(1)));
        Assert.Equal(new byte[] { 23, 254, 253, 9 }, b.Delivered.Single());
        // Consent keeps flowing through the relay.
        sim.RunFor(TimeSpan.FromSeconds(30));
        Assert.True(IceSim.BothConnected(a, b));
    }

    [Fact]
    public void CloseReleasesTheAllocation()
    {
        var sim = new IceSim(1);
        var server = new FakeTurnServer(Server, "user", "secret");
        sim.Nodes.Add(server);
        var a = sim.Add("a", IceSim.Config("a", true) with { TurnServers = Seq1(new TurnServer(Server, "user", "secret")) }, 1);
        sim.AddInterface(a, IceSim.Ep("192.0.2.1:5000"));
        Assert.True(sim.RunUntil(() => a.Agent.GatheringState == IceGatheringState.Complete, TimeSpan.FromSeconds(5)));
        sim.Apply(a, new IceInput.Close());
        sim.RunFor(TimeSpan.FromSeconds(1));
        Assert.Equal(1, server.Refreshes);
        Assert.Single(server.Addresses);
    }

    [Fact]
    public void GatheringTimeoutEndsTheSlowAllocationForGood()
    {
        var sim = new IceSim(1);
        var server = new FakeTurnServer(Server, "user", "secret") { Drop = true };
        sim.Nodes.Add(server);
        var a = sim.Add("a", IceSim.Config("a", true) with { TurnServers = Seq1(new TurnServer(Server, "user", "secret")) }, 1);
        sim.AddInterface(a, IceSim.Ep("192.0.2.1:5000"));
        sim.RunFor(TimeSpan.FromSeconds(7)); // the Allocate went out at 0, .25, .75, 1.75, 3.75, 6.75 s; the next would be 9.75 s
        server.Drop = false;
        Assert.True(sim.RunUntil(() => a.Agent.GatheringState == IceGatheringState.Complete, TimeSpan.FromSeconds(5)));
        var completedAt = sim.Now;
        sim.RunFor(TimeSpan.FromSeconds(20));
        Assert.Single(a.Log, l => l.Output is IceOutput.GatheringComplete);
        Assert.DoesNotContain(a.Log, l => l.At > completedAt && l.Output is IceOutput.LocalCandidate or IceOutput.Transmit);
        Assert.Equal(TurnAllocationState.Failed, a.Agent.Allocations.Single().State);
    }

    private static Seq<T> Seq1<T>(T x) => Seq.create(x);
}
