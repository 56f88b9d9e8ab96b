using Functional.WebRtc.Core.Sctp;

namespace Functional.WebRtc.Tests.Connection;

/// <summary>SCTP PLPMTUD (RFC 8899) between two of our PeerConnections on 127.0.0.1 (loopback carries 16 KiB datagrams).</summary>
public class PathMtuLoopbackTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(10);

    [Fact(Timeout = 30_000)]
    public async Task LoopbackProbesGrowSctpPacketsAndDataStillArrivesIntact()
    {
        await using var pair = new LoopbackPair();
        var (local, remote) = await IceLoopbackTests.ConnectWithChannel(pair);
        var inbox = new Inbox(remote);
        Assert.Equal(PmtuPhase.Disabled, pair.Offerer.Channels.Association.PathMtu.Phase); // idle: no probes yet
        for (var i = 0; i < 3; i++) local.Send(new byte[60_000]); // bulk data starts the search (both ways: SACKs do not count)
        for (var i = 0; i < 3; i++) Assert.Equal(60_000, inbox.Take().Data.Length);
        // The first probe (16 KiB) is truncated by the peer's 4 KiB socket buffer, which then grows; the next one passes.
        await LoopbackPair.WaitForAsync(() => pair.Offerer.Channels.Association.Mtu > 1200,
            Limit, () => $"larger packets (offerer {Describe(pair.Offerer)}, answerer {Describe(pair.Answerer)})");
        Assert.Equal(16384, pair.Offerer.Channels.Association.Mtu);
        var message = Enumerable.Range(0, 60_000).Select(i => (byte)(i * 7)).ToArray();
        local.Send(message);
        Assert.Equal(message, inbox.Take().Data);
    }

    [Fact(Timeout = 30_000)]
    public async Task SwitchedOffPacketsStayAtTheBaseSize()
    {
        var off = new SettingEngine { SctpPathMtuDiscovery = false };
        await using var pair = new LoopbackPair(off, off);
        var (local, remote) = await IceLoopbackTests.ConnectWithChannel(pair);
        var inbox = new Inbox(remote);
        local.Send(new byte[50_000]);
        Assert.Equal(50_000, inbox.Take().Data.Length);
        Assert.Equal(1200, pair.Offerer.Channels.Association.Mtu);
        Assert.Equal(PmtuPhase.Disabled, pair.Offerer.Channels.Association.PathMtu.Phase);
    }

    private static string Describe(PeerConnection pc) => $"{pc.Channels.Association.Mtu} {pc.Channels.Association.PathMtu}";
}
