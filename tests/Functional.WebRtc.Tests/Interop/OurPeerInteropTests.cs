using System.Collections.Concurrent;
using Functional.WebRtc.Tests.Connection;

namespace Functional.WebRtc.Tests.Interop;

/// <summary>
/// Our PeerConnection against real peers on 127.0.0.1: headless Chromium (the judge) and werift. Each side must reach
/// connected (ICE + DTLS), data channels opened either way must echo text and binary of 1 B .. 256 KiB intact, and
/// Chromium's fake camera and microphone must reach us as SRTP we can unprotect.
/// </summary>
[Trait("Category", "Interop")]
[Collection("Interop")]
public sealed class OurPeerInteropTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private static readonly int[] Sizes = [1, 1024, 64 * 1024, 256 * 1024];

    /// <summary>Our side: echoes every message on every channel the peer opens, and collects what arrives.</summary>
    private sealed class Ours : IAsyncDisposable
    {
        public PeerConnection Pc { get; } = new();
        public ConcurrentQueue<DataChannel> Opened { get; } = new();
        public Ours()
        {
            Pc.OnDataChannel += ch =>
            {
                Opened.Enqueue(ch);
                ch.OnMessage += m => { if (m.IsString) ch.Send(m.Text); else ch.Send(m.Data); };
            };
        }
        public async Task<string> AnswerAsync(string offer)
        {
            await Pc.SetRemoteDescriptionAsync(SessionDescription.Offer(offer));
            await Pc.SetLocalDescriptionAsync(await Pc.CreateAnswerAsync());
            await Pc.GatheringComplete.WaitAsync(Timeout);
            return Pc.LocalDescription!.Sdp;
        }
        public async Task<string> OfferAsync()
        {
            await Pc.SetLocalDescriptionAsync(await Pc.CreateOfferAsync());
            await Pc.GatheringComplete.WaitAsync(Timeout);
            return Pc.LocalDescription!.Sdp;
        }
        public ValueTask DisposeAsync() => Pc.DisposeAsync();
    }

    private static async Task EchoesAllSizes(IInteropPeer peer, string label)
    {
        foreach (var size in Sizes)
        {
            var data = new byte[size];
            new Random(size).NextBytes(data);
            var mark = peer.Events.Mark();
            await peer.SendBinaryAsync(label, data);
            await peer.Events.WaitForAsync(e => e.IsBinaryMessage(label, data), Timeout, mark);
        }
        await peer.SendAsync(label, "hello");
        await peer.WaitForMessageAsync(label, "hello", Timeout);
    }

    private static async Task OurChannelEchoedBy(PeerConnection pc, string label)
    {
        var channel = pc.CreateDataChannel(label);
        var inbox = new Inbox(channel);
        await LoopbackPair.WaitForAsync(() => channel.ReadyState == DataChannelReadyState.Open, Timeout, $"{label} open");
        foreach (var size in Sizes)
        {
            var data = new byte[size];
            new Random(size + 1).NextBytes(data);
            channel.Send(data);
            var back = inbox.Take(20000);
            Assert.False(back.IsString);
            Assert.Equal(data, back.Data);
        }
        channel.Send("text");
        Assert.Equal("text", inbox.Take(20000).Text);
        channel.Close();
        await LoopbackPair.WaitForAsync(() => channel.ReadyState == DataChannelReadyState.Closed, Timeout, $"{label} closed");
    }

    [InteropFact]
    public async Task ChromiumOffersWeAnswer_ConnectedAndChannelsEchoBothWays()
    {
        await using var chromium = await BrowserPeer.LaunchAsync(new BrowserOptions { AutoEcho = true });
        await using var ours = new Ours();
        await chromium.CreateDataChannelAsync("from-chromium");
        var answer = await ours.AnswerAsync(await chromium.OfferAsync());
        await chromium.SetRemoteDescriptionAsync("answer", answer);
        await chromium.WaitForConnectionStateAsync("connected", Timeout);
        await LoopbackPair.WaitForAsync(() => ours.Pc.ConnectionState == PeerConnectionState.Connected, Timeout, "ours connected");

        // ICE: Chromium's selected pair succeeded and its remote side is our candidate.
        var pair = await chromium.SucceededCandidatePairAsync(TimeSpan.FromSeconds(5));
        Assert.NotNull(pair);
        Assert.Equal("succeeded", pair!.State);
        Assert.Equal("127.0.0.1", pair.Remote.Address);
        Assert.Contains($" {pair.Remote.Port} typ host", answer);

        await chromium.WaitForChannelOpenAsync("from-chromium", Timeout);
        await EchoesAllSizes(chromium, "from-chromium");
        await OurChannelEchoedBy(ours.Pc, "from-us");
    }

    [InteropFact]
    public async Task WeOfferChromiumAnswers_ConnectedAndChannelsEchoBothWays()
    {
        await using var chromium = await BrowserPeer.LaunchAsync(new BrowserOptions { AutoEcho = true });
        await using var ours = new Ours();
        var first = ours.Pc.CreateDataChannel("first");
        var offer = await ours.OfferAsync();
        await chromium.SetRemoteDescriptionAsync("offer", offer);
        var answer = await chromium.AnswerAsync();
        await ours.Pc.SetRemoteDescriptionAsync(SessionDescription.Answer(answer));
        await chromium.WaitForConnectionStateAsync("connected", Timeout);
        await LoopbackPair.WaitForAsync(() => ours.Pc.ConnectionState == PeerConnectionState.Connected, Timeout, "ours connected");
        await LoopbackPair.WaitForAsync(() => first.ReadyState == DataChannelReadyState.Open, Timeout, "first open");
        await OurChannelEchoedBy(ours.Pc, "second");
        // An unordered channel with maxRetransmits 0 works too.
        var unordered = ours.Pc.CreateDataChannel("unordered", new DataChannelInit { Ordered = false, MaxRetransmits = 0 });
        var inbox = new Inbox(unordered);
        await LoopbackPair.WaitForAsync(() => unordered.ReadyState == DataChannelReadyState.Open, Timeout, "unordered open");
        unordered.Send("u");
        Assert.Equal("u", inbox.Take(20000).Text);
        // Chromium opens one to us.
        await chromium.CreateDataChannelAsync("from-chromium");
        await chromium.WaitForChannelOpenAsync("from-chromium", Timeout);
        await EchoesAllSizes(chromium, "from-chromium");
    }

    [InteropFact(chromium: false, werift: true)]
    public async Task WeriftOffersWeAnswer_ChannelEchoes()
    {
        await using var werift = await WeriftPeer.LaunchAsync(new WeriftOptions { AutoEcho = true });
        await using var ours = new Ours();
        await werift.CreateDataChannelAsync("from-werift");
        var answer = await ours.AnswerAsync(await werift.OfferAsync());
        await werift.SetRemoteDescriptionAsync("answer", answer);
        await werift.WaitForConnectionStateAsync("connected", Timeout);
        await LoopbackPair.WaitForAsync(() => ours.Pc.ConnectionState == PeerConnectionState.Connected, Timeout, "ours connected");
        await werift.WaitForChannelOpenAsync("from-werift", Timeout);
        await werift.SendAsync("from-werift", "hello");
        await werift.WaitForMessageAsync("from-werift", "hello", Timeout);
    }

    [InteropFact(chromium: false, werift: true)]
    public async Task WeOfferWeriftAnswers_ChannelEchoes()
    {
        await using var werift = await WeriftPeer.LaunchAsync(new WeriftOptions { AutoEcho = true });
        await using var ours = new Ours();
        var channel = ours.Pc.CreateDataChannel("to-werift");
        var inbox = new Inbox(channel);
        await werift.SetRemoteDescriptionAsync("offer", await ours.OfferAsync());
        await ours.Pc.SetRemoteDescriptionAsync(SessionDescription.Answer(await werift.AnswerAsync()));
        await werift.WaitForConnectionStateAsync("connected", Timeout);
        await LoopbackPair.WaitForAsync(() => channel.ReadyState == DataChannelReadyState.Open, Timeout, "open");
        channel.Send("ping");
        Assert.Equal("ping", inbox.Take(20000).Text);
    }

    [InteropFact]
    public async Task ChromiumSendsFakeMedia_WeUnprotectAndCountRtpPerSsrc()
    {
        await using var chromium = await BrowserPeer.LaunchAsync(new BrowserOptions { Media = BrowserMedia.AudioVideo });
        await using var ours = new Ours();
        var answer = await ours.AnswerAsync(await chromium.OfferAsync());
        await chromium.SetRemoteDescriptionAsync("answer", answer);
        await chromium.WaitForConnectionStateAsync("connected", Timeout);
        await LoopbackPair.WaitForAsync(() => ours.Pc.ConnectionState == PeerConnectionState.Connected, Timeout, "ours connected");
        // Audio and video (an RTX/probing SSRC may add a few packets of its own).
        await LoopbackPair.WaitForAsync(() => ours.Pc.RtpPacketsReceived.Values.Count(c => c > 50) >= 2,
            Timeout, () => $"RTP on two SSRCs (rejected {ours.Pc.SrtpRejected}, srtp {ours.Pc.Srtp?.Profile}, counts {string.Join(",", ours.Pc.RtpPacketsReceived)})");
        // Chromium's counts and ours, taken together, match within a small margin (packets in flight).
        var outbound = await chromium.OutboundRtpAsync();
        var ourCounts = ours.Pc.RtpPacketsReceived.ToDictionary(kv => kv.Key, kv => kv.Value);
        foreach (var stream in outbound.Where(o => o.PacketsSent > 0))
        {
            Assert.True(ourCounts.TryGetValue(stream.Ssrc, out var count), $"no packets from ssrc {stream.Ssrc}");
            Assert.InRange(count, stream.PacketsSent - 60, stream.PacketsSent + 60);
        }
        Assert.Equal(0, ours.Pc.SrtpRejected);
    }
}
