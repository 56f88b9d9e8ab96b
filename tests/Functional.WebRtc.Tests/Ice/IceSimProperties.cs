using FsCheck;
using FsCheck.Fluent;
using Functional.WebRtc.Core.Ice;
using Functional.WebRtc.Testing;

namespace Functional.WebRtc.Tests.Ice;

public sealed record LinkCase(int Seed, double Loss, double Reorder, double Duplicate, int MaxDelayMs, int InterfacesA, int InterfacesB, bool BControlling);

public static class IceSimArbs
{
    public static Arbitrary<LinkCase> Links() =>
        (from seed in Gen.Choose(1, 1_000_000)
         from loss in Gen.Choose(0, 30)
         from reorder in Gen.Choose(0, 20)
         from dup in Gen.Choose(0, 10)
         from delay in Gen.Choose(1, 80)
         from ia in Gen.Choose(1, 2)
         from ib in Gen.Choose(1, 2)
         from bc in Gen.Elements(false, false, true)
         select new LinkCase(seed, loss / 100.0, reorder / 100.0, dup / 100.0, delay, ia, ib, bc)).ToArbitrary();

    public static Arbitrary<(LinkCase Link, int CutMs)> Cuts() =>
        (from l in Links().Generator
         from cut in Gen.Choose(200, 2000)
         select (l with { Loss = l.Loss / 3 }, cut)).ToArbitrary();
}

/// <summary>Two agents in simulated time over random lossy links (bounded in simulated time and events).</summary>
public class IceSimProperties
{
    private static (IceSim Sim, IceSim.Peer A, IceSim.Peer B) Build(LinkCase c)
    {
        var profile = new LinkProfile(c.Loss, c.Duplicate, c.Reorder, TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(c.MaxDelayMs));
        var (sim, a, b) = IceSim.Pair(c.Seed, profile, bControlling: c.BControlling);
        for (var i = 0; i < c.InterfacesA; i++) sim.AddInterface(a, IceSim.Ep($"10.0.{i}.1:{5000 + i}"));
        for (var i = 0; i < c.InterfacesB; i++) sim.AddInterface(b, IceSim.Ep($"10.0.{i}.2:{6000 + i}"));
        return (sim, a, b);
    }

    [Property(MaxTest = 60, Arbitrary = new[] { typeof(IceSimArbs) })]
    public bool ConnectOnTheSamePairWheneverAPathExists(LinkCase c)
    {
        var (sim, a, b) = Build(c);
        var connected = sim.RunUntil(() => IceSim.BothConnected(a, b), TimeSpan.FromSeconds(30));
        if (!connected) return false;
        // Never select a failed pair: every pair either agent selected was valid when selected.
        foreach (var p in new[] { a, b })
        {
            var sel = p.Agent.Selected!;
            var pair = p.Agent.Pairs.Find(x => x.LocalId == sel.Local.Id && x.RemoteEndPoint.Equals(sel.RemoteEndPoint));
            if (pair.IsSome && pair.Exists(x => x.State == CandidatePairState.Failed)) return false;
        }
        return a.Agent.Controlling != b.Agent.Controlling;
    }

    [Property(MaxTest = 40, Arbitrary = new[] { typeof(IceSimArbs) })]
    public bool ShortOutagesNeverFail((LinkCase Link, int CutMs) input)
    {
        var (sim, a, b) = Build(input.Link);
        if (!sim.RunUntil(() => IceSim.BothConnected(a, b), TimeSpan.FromSeconds(30))) return false;
        var x = a.Agent.Selected!.Local.Socket;
        var y = b.Agent.Selected!.Local.Socket;
        sim.Net.SetDown(x, y, true);
        sim.Net.SetDown(y, x, true);
        sim.RunFor(TimeSpan.FromMilliseconds(input.CutMs));
        sim.Net.SetDown(x, y, false);
        sim.Net.SetDown(y, x, false);
        var recovered = sim.RunUntil(() => IceSim.BothConnected(a, b), TimeSpan.FromSeconds(10));
        return recovered && !a.States.Contains(IceConnectionState.Failed) && !b.States.Contains(IceConnectionState.Failed);
    }

    [Property(MaxTest = 20, Arbitrary = new[] { typeof(IceSimArbs) })]
    public bool SameSeedSameRun(LinkCase c)
    {
        var (s1, a1, b1) = Build(c);
        var (s2, a2, b2) = Build(c);
        s1.RunFor(TimeSpan.FromSeconds(3));
        s2.RunFor(TimeSpan.FromSeconds(3));
        return a1.Log.SequenceEqual(a2.Log) && b1.Log.SequenceEqual(b2.Log) && a1.Agent == a2.Agent && b1.Agent == b2.Agent;
    }
    [Property(MaxTest = 25, Arbitrary = new[] { typeof(IceSimArbs) })]
    public bool RelayOnlyAgentsConnectThroughALossyRelay(LinkCase c)
    {
        var server = IceSim.Ep("198.51.100.1:3478");
        Func<IceAgentConfig, IceAgentConfig> relay = x => x with
        {
            Policy = IceTransportPolicy.Relay,
            TurnServers = LanguageExt.Seq.create(new TurnServer(server, "user", "secret")),
        };
        // Relayed traffic crosses three lossy legs each way (client-server, relay-relay, server-client): keep each leg at <= 10%.
        var profile = new LinkProfile(c.Loss / 3, c.Duplicate, c.Reorder, TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(c.MaxDelayMs));
        var (sim, a, b) = IceSim.Pair(c.Seed, profile, relay, relay, c.BControlling);
        sim.Nodes.Add(new FakeTurnServer(server, "user", "secret"));
        sim.AddInterface(a, IceSim.Ep("192.0.2.1:5000"));
        sim.AddInterface(b, IceSim.Ep("192.0.2.2:6000"));
        if (!sim.RunUntil(() => IceSim.BothConnected(a, b), TimeSpan.FromSeconds(30))) return false;
        return a.Agent.Selected!.Local.Candidate.Type == IceCandidateType.Relay && b.Agent.Selected!.Local.Candidate.Type == IceCandidateType.Relay &&
               a.Log.Concat(b.Log).Select(l => l.Output).OfType<IceOutput.Transmit>().All(t => t.To.Equals(server));
    }
    /// <summary>Some paths between the agents' interfaces are cut (at least one kept): they connect on a working one.</summary>
    [Property(MaxTest = 40, Arbitrary = new[] { typeof(IceSimArbs) })]
    public bool ConnectOnAWorkingPathWhenOthersAreCut(LinkCase c, int cutMask)
    {
        var (sim, a, b) = Build(c with { InterfacesA = 2, InterfacesB = 2 });
        var aSockets = a.Agent.Locals.Map(l => l.Socket).ToList();
        var bSockets = b.Agent.Locals.Map(l => l.Socket).ToList();
        var keep = (cutMask & 0x7fffffff) % 4; // one path that always works
        var working = new HashSet<(string, string)>();
        for (var i = 0; i < 2; i++)
            for (var j = 0; j < 2; j++)
            {
                var k = i * 2 + j;
                // Same-index interfaces share a subnet in Build; cross paths only work when not cut.
                var cut = k != keep && ((cutMask >> k) & 1) == 1;
                if (cut)
                {
                    sim.Net.SetDown(aSockets[i], bSockets[j], true);
                    sim.Net.SetDown(bSockets[j], aSockets[i], true);
                }
                else working.Add((aSockets[i].ToString(), bSockets[j].ToString()));
            }
        if (!sim.RunUntil(() => IceSim.BothConnected(a, b), TimeSpan.FromSeconds(40))) return false;
        var sel = a.Agent.Selected!;
        return working.Contains((sel.Local.Socket.ToString(), sel.RemoteEndPoint.ToString()));
    }
    /// <summary>Found by the property above: both agents controlling over a lossy relay; stale-role retransmissions and an early ChannelData.</summary>
    [Fact]
    public void RegressionRoleConflictOverLossyRelay() =>
        Assert.True(RelayOnlyAgentsConnectThroughALossyRelay(new LinkCase(40436, 0.405, 0, 0.01, 13, 1, 2, true)));
}
