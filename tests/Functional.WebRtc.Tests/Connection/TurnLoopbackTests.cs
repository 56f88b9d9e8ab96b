using System.Collections.Concurrent;
using Functional.WebRtc.Core.Ice;
using Functional.WebRtc.Tests.Ice;

namespace Functional.WebRtc.Tests.Connection;

/// <summary>Two PeerConnections through a real coturn on 127.0.0.1 (user test:test, loopback peers allowed).</summary>
public class TurnLoopbackTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(10);

    [CoturnFact(Timeout = 20_000)]
    public async Task RelayOnlyConnectionConnectsThroughCoturnAndEchoes()
    {
        using var coturn = new CoturnServer();
        var configuration = new Configuration
        {
            IceServers = [new IceServer($"turn:127.0.0.1:{coturn.Address.Port}", "test", "test")],
            IceTransportPolicy = IceTransportPolicy.Relay,
        };
        await using var pair = new LoopbackPair(configuration: configuration);
        var (local, remote) = await IceLoopbackTests.ConnectWithChannel(pair, "relayed");

        // Only relayed candidates are offered, and the selected pair is relay on both ends.
        foreach (var pc in new[] { pair.Offerer, pair.Answerer })
        {
            var candidates = pc.LocalDescription!.Sdp.Split("\r\n").Where(l => l.StartsWith("a=candidate:")).ToList();
            Assert.NotEmpty(candidates);
            Assert.All(candidates, c => Assert.Contains("typ relay", c));
            var selected = pc.SelectedCandidatePair;
            Assert.NotNull(selected);
            Assert.Contains("typ relay", selected!.Value.Local);
            Assert.Contains("typ relay", selected.Value.Remote);
            Assert.Contains("127.0.0.1", selected.Value.Local);
        }

        LoopbackPair.Echo(remote);
        var back = new Inbox(local);
        for (var i = 0; i < 20; i++)
        {
            local.Send($"relayed {i}");
            Assert.Equal($"relayed {i}", back.Take().Text);
        }
        var big = new byte[60_000];
        new Random(7).NextBytes(big);
        local.Send(big);
        Assert.Equal(big, back.Take().Data);
    }

    [CoturnFact(Timeout = 20_000)]
    public async Task StunServerOnLoopbackGivesAServerReflexiveCandidate()
    {
        using var coturn = new CoturnServer();
        var configuration = new Configuration { IceServers = [new IceServer($"stun:127.0.0.1:{coturn.Address.Port}")] };
        await using var pc = new PeerConnection(configuration, new SettingEngine { KeepRedundantServerReflexive = true });
        var gathered = new ConcurrentQueue<IceCandidateInit?>();
        pc.OnIceCandidate += gathered.Enqueue;
        pc.CreateDataChannel("x");
        await pc.SetLocalDescriptionAsync(await pc.CreateOfferAsync());
        await pc.GatheringComplete.WaitAsync(Limit);
        var srflx = pc.LocalDescription!.Sdp.Split("\r\n").Where(l => l.StartsWith("a=candidate:") && l.Contains("typ srflx")).ToList();
        var candidate = Assert.Single(srflx);
        // RFC 8445 5.1.1: the mapped address coturn saw, with the host as its related address.
        Assert.Contains("127.0.0.1", candidate);
        Assert.Contains("raddr 127.0.0.1", candidate);
        await LoopbackPair.WaitForAsync(() => gathered.Contains(null), Limit, "the null candidate");
        Assert.Contains(gathered, c => c is not null && c.Candidate.Contains("typ srflx"));
    }

    [CoturnFact(Timeout = 20_000)]
    public async Task WithoutTheSettingARedundantServerReflexiveCandidateIsDropped()
    {
        using var coturn = new CoturnServer();
        var configuration = new Configuration { IceServers = [new IceServer($"stun:127.0.0.1:{coturn.Address.Port}")] };
        await using var pc = new PeerConnection(configuration);
        pc.CreateDataChannel("x");
        await pc.SetLocalDescriptionAsync(await pc.CreateOfferAsync());
        await pc.GatheringComplete.WaitAsync(Limit);
        var lines = pc.LocalDescription!.Sdp.Split("\r\n");
        Assert.Contains(lines, l => l.StartsWith("a=candidate:") && l.Contains("typ host"));
        Assert.DoesNotContain(lines, l => l.Contains("typ srflx"));
    }
}
