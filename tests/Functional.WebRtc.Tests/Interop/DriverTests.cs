using System.Diagnostics;
using Xunit.Abstractions;

namespace Functional.WebRtc.Tests.Interop;

/// <summary>
/// The real-peer drivers proved against each other (not against our stack). Run inside a loopback-only namespace:
/// <c>unshare -n bash -c 'ip link set lo up; dotnet test ... --filter Category=Interop'</c>.
/// </summary>
[Trait("Category", "Interop")]
[Collection("Interop")] // one real-peer test at a time: the machine has 2 cores
public sealed class DriverTests
{
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(10);
    private readonly ITestOutputHelper _out;

    public DriverTests(ITestOutputHelper output) => _out = output;

    private void Log(Stopwatch sw, string what) => _out.WriteLine($"{sw.Elapsed.TotalSeconds,6:0.00} s  {what}");

    private static async Task Bounded(Func<Task> test, int seconds)
    {
        var body = test();
        var finished = await Task.WhenAny(body, Task.Delay(TimeSpan.FromSeconds(seconds)));
        if (finished != body) throw new TimeoutException($"test exceeded its {seconds} s bound");
        await body;
    }

    private static async Task AssertBrowserGoneAsync(BrowserPeer peer)
    {
        var dir = peer.UserDataDir;
        await peer.DisposeAsync();
        Assert.False(peer.IsBrowserRunning(), $"a Chromium process of {dir} is still alive");
        Assert.Empty(peer.KilledAfterClose);
        Assert.False(Directory.Exists(dir), $"{dir} was not deleted");
    }

    [InteropFact]
    public Task ChromiumToChromium_DataChannelOpensAndEchoes() => Bounded(async () =>
    {
        var sw = Stopwatch.StartNew();
        var a = await BrowserPeer.LaunchAsync(new BrowserOptions { Name = "A" });
        BrowserPeer b;
        try { b = await BrowserPeer.LaunchAsync(new BrowserOptions { Name = "B", AutoEcho = true }); }
        catch { await a.DisposeAsync(); throw; }
        Log(sw, $"two browsers launched ({a.LaunchTime.TotalSeconds:0.00} s, {b.LaunchTime.TotalSeconds:0.00} s)");
        try
        {
            Assert.NotEmpty(a.BrowserProcessIds());
            await a.CreateDataChannelAsync("chat");
            var offer = await a.OfferAsync();
            Assert.Contains("m=application", offer);
            Assert.Contains(" 127.0.0.1 ", offer); // a loopback host candidate, thanks to getUserMedia + the flag
            await b.SetRemoteDescriptionAsync("offer", offer);
            var answer = await b.AnswerAsync();
            await a.SetRemoteDescriptionAsync("answer", answer);
            Log(sw, "offer/answer exchanged");

            await a.WaitForConnectionStateAsync("connected", Step);
            await b.WaitForConnectionStateAsync("connected", Step);
            await a.WaitForChannelOpenAsync("chat", Step);
            await b.WaitForChannelOpenAsync("chat", Step); // opened by the remote: ondatachannel
            Log(sw, "connected, channel open on both");

            await a.SendAsync("chat", "hello from A");
            await b.WaitForMessageAsync("chat", "hello from A", Step);
            await a.WaitForMessageAsync("chat", "hello from A", Step); // B echoed it
            var bytes = new byte[] { 0, 1, 2, 250, 255 };
            await a.SendBinaryAsync("chat", bytes);
            await a.WaitForBinaryMessageAsync("chat", bytes, Step);
            Log(sw, "text and binary echoed");

            Assert.Contains(await a.IceConnectionStateAsync(), new[] { "connected", "completed" });
            var pair = await a.SucceededCandidatePairAsync(TimeSpan.FromSeconds(5));
            Assert.NotNull(pair);
            Assert.Equal("succeeded", pair!.State);
            Assert.Equal("127.0.0.1", pair.Local.Address);
            Assert.Equal("127.0.0.1", pair.Remote.Address);
            Assert.True(pair.BytesSent > 0);
            Assert.Contains("\"candidate-pair\"", await a.GetStatsAsync());
            Assert.Equal(1, await a.EvaluateAsync<int>("() => window.__peer.pc.sctp ? 1 : 0"));
        }
        finally
        {
            await AssertBrowserGoneAsync(a);
            await AssertBrowserGoneAsync(b);
            Log(sw, "both browsers closed, processes gone");
        }
    }, 30);

    [InteropFact]
    public Task ChromiumToChromium_TrickleCandidates() => Bounded(async () =>
    {
        var sw = Stopwatch.StartNew();
        await using var a = await BrowserPeer.LaunchAsync(new BrowserOptions { Name = "A" });
        await using var b = await BrowserPeer.LaunchAsync(new BrowserOptions { Name = "B", AutoEcho = true });
        Log(sw, "two browsers launched");
        await a.CreateDataChannelAsync("t", ordered: false, maxRetransmits: 0);
        var offer = await a.CreateOfferAsync();
        await a.SetLocalDescriptionAsync("offer", offer);
        await b.SetRemoteDescriptionAsync("offer", offer);
        var answer = await b.CreateAnswerAsync();
        await b.SetLocalDescriptionAsync("answer", answer);
        await a.SetRemoteDescriptionAsync("answer", answer);
        Assert.DoesNotContain("a=candidate", offer); // created before gathering: candidates must trickle

        async Task<int> Relay(BrowserPeer from, BrowserPeer to)
        {
            var n = 0;
            using var cts = new CancellationTokenSource(Step);
            await foreach (var c in from.LocalCandidates.ReadAllAsync(cts.Token))
            {
                await to.AddIceCandidateAsync(c.Candidate, c.SdpMid, c.SdpMLineIndex);
                n++;
            }
            await to.AddIceCandidateAsync(null, null, null);
            return n;
        }
        var counts = await Task.WhenAll(Relay(a, b), Relay(b, a));
        Log(sw, $"trickled {counts[0]} + {counts[1]} candidates");
        Assert.All(counts, n => Assert.True(n > 0));

        await a.WaitForConnectionStateAsync("connected", Step);
        await a.WaitForChannelOpenAsync("t", Step);
        await a.SendAsync("t", "trickled");
        await a.WaitForAsync(e => e.IsMessage("t", "trickled"), Step);
        Log(sw, "echo over an unordered, unreliable channel");
    }, 30);

    [InteropFact(chromium: true, werift: true)]
    public Task ChromiumToWerift_DataChannelBothWays() => Bounded(async () =>
    {
        var sw = Stopwatch.StartNew();
        var w = await WeriftPeer.LaunchAsync();
        await using var _ = w;
        var c = await BrowserPeer.LaunchAsync(new BrowserOptions { Name = "chromium" });
        try
        {
            Log(sw, "chromium and werift launched");
            await c.CreateDataChannelAsync("dc");
            await c.ConnectAsync(w); // Chromium offers, werift answers
            Log(sw, "offer/answer exchanged");
            await c.WaitForConnectionStateAsync("connected", Step);
            await w.WaitForConnectionStateAsync("connected", Step);
            await c.WaitForChannelOpenAsync("dc", Step);
            await w.WaitForChannelOpenAsync("dc", Step);
            Log(sw, "connected, channel open on both");

            await c.SendAsync("dc", "to werift");
            await w.WaitForMessageAsync("dc", "to werift", Step);
            Log(sw, "chromium -> werift");
            await w.SendAsync("dc", "to chromium");
            await c.WaitForMessageAsync("dc", "to chromium", Step);
            Log(sw, "one text message each way");
            await w.SendAsync("dc", "again to chromium");
            await c.WaitForMessageAsync("dc", "again to chromium", Step);
            Log(sw, "a second werift -> chromium");
            var bytes = Enumerable.Range(0, 300).Select(i => (byte)i).ToArray();
            await w.SendBinaryAsync("dc", bytes);
            await c.WaitForBinaryMessageAsync("dc", bytes, Step);
            Log(sw, "binary werift -> chromium");
            await w.SetAutoEchoAsync(true);
            await c.SendAsync("dc", "echo me");
            Assert.Equal("echo me", (await c.WaitForAsync(e => e.IsMessage("dc", "echo me"), Step)).Text);
            Log(sw, "messages both ways, werift echo");
            var pair = await c.SelectedCandidatePairAsync();
            Assert.Equal("127.0.0.1", pair?.Remote.Address);
        }
        finally
        {
            await AssertBrowserGoneAsync(c);
            await w.DisposeAsync();
            Assert.False(w.IsRunning, "werift node process still running");
            Log(sw, "closed");
        }
    }, 30);

    [InteropFact(chromium: true, werift: true)]
    public Task WeriftToChromium_ChromiumEchoesOnRemoteOpenedChannel() => Bounded(async () =>
    {
        var sw = Stopwatch.StartNew();
        await using var w = await WeriftPeer.LaunchAsync();
        await using var c = await BrowserPeer.LaunchAsync(new BrowserOptions { AutoEcho = true });
        await w.CreateDataChannelAsync("from-werift");
        await w.ConnectAsync(c); // werift offers, Chromium answers
        await w.WaitForConnectionStateAsync("connected", Step);
        await w.WaitForChannelOpenAsync("from-werift", Step);
        await w.SendAsync("from-werift", "ping");
        await w.WaitForMessageAsync("from-werift", "ping", Step);
        Assert.Equal("connected", await c.ConnectionStateAsync());
        Log(sw, "werift offered, chromium echoed");
    }, 25);

    [InteropFact]
    public Task ChromiumFakeMedia_SecondChromiumReceivesRtp() => Bounded(async () =>
    {
        var sw = Stopwatch.StartNew();
        await using var sender = await BrowserPeer.LaunchAsync(new BrowserOptions { Name = "sender", Media = BrowserMedia.AudioVideo });
        await using var receiver = await BrowserPeer.LaunchAsync(new BrowserOptions { Name = "receiver" });
        Log(sw, "two browsers launched");
        await sender.ConnectAsync(receiver);
        await receiver.WaitForConnectionStateAsync("connected", Step);
        await receiver.WaitForAsync(e => e.Type == "track" && e.Kind == "video", Step);
        Log(sw, "connected, tracks arrived");

        async Task<(long Audio, long Video, long Frames)> Inbound()
        {
            var s = await receiver.InboundRtpAsync();
            return (s.Where(x => x.Kind == "audio").Sum(x => x.PacketsReceived), s.Where(x => x.Kind == "video").Sum(x => x.PacketsReceived),
                s.Where(x => x.Kind == "video").Sum(x => x.FramesDecoded));
        }
        var first = await Inbound();
        var limit = Stopwatch.StartNew();
        var later = first;
        while (limit.Elapsed < Step && (later.Audio <= first.Audio || later.Video <= first.Video || later.Frames == 0))
        {
            await Task.Delay(250);
            later = await Inbound();
        }
        Log(sw, $"inbound audio {first.Audio}->{later.Audio}, video {first.Video}->{later.Video}, frames decoded {later.Frames}");
        Assert.True(later.Audio > first.Audio, "audio packetsReceived did not grow");
        Assert.True(later.Video > first.Video, "video packetsReceived did not grow");
        Assert.True(later.Frames > 0, "no video frame decoded");
        var outbound = await sender.OutboundRtpAsync();
        Assert.Contains(outbound, o => o.Kind == "video" && o.PacketsSent > 0 && o.Ssrc != 0);
        Assert.Contains(outbound, o => o.Kind == "audio" && o.PacketsSent > 0);
        var inbound = await receiver.InboundRtpAsync();
        Assert.Contains(inbound, i => i.Kind == "audio" && i.MimeType == "audio/opus");
    }, 30);

    [InteropFact(chromium: true, werift: true)]
    public Task ChromiumFakeMedia_WeriftReceivesRtp() => Bounded(async () =>
    {
        var sw = Stopwatch.StartNew();
        await using var w = await WeriftPeer.LaunchAsync();
        await using var c = await BrowserPeer.LaunchAsync(new BrowserOptions { Media = BrowserMedia.AudioVideo });
        await c.ConnectAsync(w);
        await w.WaitForConnectionStateAsync("connected", Step);
        await w.WaitForAsync(e => e.Type == "rtp-count" && e.Kind == "video", Step);
        await w.WaitForAsync(e => e.Type == "rtp-count" && e.Kind == "audio", Step);
        var first = await w.RtpPacketsReceivedAsync();
        await Task.Delay(300);
        var later = await w.RtpPacketsReceivedAsync();
        Log(sw, $"werift received audio {first.Audio}->{later.Audio}, video {first.Video}->{later.Video}");
        Assert.True(later.Audio > first.Audio && later.Video > first.Video, "werift's RTP counts did not grow");
        Assert.Contains(await c.OutboundRtpAsync(), o => o.Kind == "video" && o.PacketsSent > 0);
    }, 25);

    [InteropFact(chromium: false, werift: true)]
    public Task Werift_ProcessEndsOnDispose() => Bounded(async () =>
    {
        var w = await WeriftPeer.LaunchAsync();
        Assert.Equal("new", await w.ConnectionStateAsync());
        await w.CreateDataChannelAsync("x");
        var offer = await w.OfferAsync();
        Assert.Contains("a=candidate:", offer);
        Assert.Contains(" 127.0.0.1 ", offer);
        await Assert.ThrowsAsync<InvalidOperationException>(() => w.SendAsync("nope", "x")); // an error event fails the call
        await w.DisposeAsync();
        Assert.False(w.IsRunning);
        Assert.Throws<ArgumentException>(() => Process.GetProcessById(w.ProcessId));
    }, 15);
}
