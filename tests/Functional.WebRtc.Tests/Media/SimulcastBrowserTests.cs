using System.Collections.Concurrent;
using Functional.WebRtc.Core.Sdp;
using Functional.WebRtc.Core.Signaling;
using Functional.WebRtc.Media;
using Functional.WebRtc.Tests.Connection;
using Functional.WebRtc.Tests.Interop;
using Microsoft.Playwright;

namespace Functional.WebRtc.Tests.Media;

/// <summary>
/// Simulcast from a browser (RFC 8853): headless Chromium sends its fake camera in three layers (rids q, h, f) on one
/// transceiver; our answer receives each rid, and every layer that Chromium sends becomes its own remote track with
/// its rid. Run inside a loopback-only namespace; only the browser's udp 127.0.0.1 candidates reach our agent.
/// </summary>
public class SimulcastBrowserTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [InteropFact]
    [Trait("Category", "Browser")]
    public async Task ChromiumSimulcastLayersEachArriveAsATrackWithItsRid()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await BrowserPeer.LaunchBrowserAsync(playwright);
        try
        {
            var page = await browser.NewPageAsync();
            await page.RouteAsync("http://127.0.0.1/**", r => r.FulfillAsync(new RouteFulfillOptions { Status = 200, ContentType = "text/html", Body = "<html></html>" }));
            await page.GotoAsync("http://127.0.0.1/simulcast.html");
            var offer = await page.EvaluateAsync<string>(@"async () => {
                const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480, frameRate: 30 } });
                const pc = window.pc = new RTCPeerConnection();
                pc.addTransceiver(stream.getVideoTracks()[0], { direction: 'sendonly', streams: [stream], sendEncodings: [
                    { rid: 'q', scaleResolutionDownBy: 4 }, { rid: 'h', scaleResolutionDownBy: 2 }, { rid: 'f' } ] });
                await pc.setLocalDescription(await pc.createOffer());
                await new Promise(r => {
                    if (pc.iceGatheringState === 'complete') r();
                    pc.addEventListener('icegatheringstatechange', () => { if (pc.iceGatheringState === 'complete') r(); });
                });
                return pc.localDescription.sdp;
            }").WaitAsync(timeout.Token);
            var loopbackOnly = string.Join("\r\n", offer.Split("\r\n").Where(l =>
                !l.StartsWith("a=candidate", StringComparison.Ordinal) || (l.Contains(" 127.0.0.1 ", StringComparison.Ordinal) && l.Contains(" udp ", StringComparison.OrdinalIgnoreCase))));
            Assert.Contains("a=simulcast:send q;h;f", loopbackOnly);

            var engine = MediaEngine.Default with { Codecs = ReceiveToDiskBrowserTests.CodecsFor("VP8") };
            await using var pc = new PeerConnection(null, new SettingEngine { MediaEngine = engine });
            var tracks = new ConcurrentDictionary<uint, (TrackRemote Track, long[] Packets)>();
            var pumps = new ConcurrentBag<Task>();
            pc.OnTrack += (track, _) =>
            {
                var count = new long[1];
                tracks[track.Ssrc] = (track, count);
                pumps.Add(Task.Run(async () =>
                {
                    var buffer = new byte[1500];
                    try { while (true) { await track.ReadRtpAsync(buffer); Interlocked.Increment(ref count[0]); } }
                    catch (InvalidStateException) { } // the track ended
                }));
            };
            await pc.SetRemoteDescriptionAsync(SessionDescription.Offer(loopbackOnly));
            await pc.SetLocalDescriptionAsync(await pc.CreateAnswerAsync());
            var answer = pc.LocalDescription!.TryUnmarshal().IfLeft(e => throw new Exception(e.ToString())).Media.Head();
            Assert.Equal("recv q;h;f", answer.GetSimulcast().Map(s => s.ToString()).IfNone(""));
            await pc.GatheringComplete.WaitAsync(timeout.Token);
            await page.EvaluateAsync("sdp => window.pc.setRemoteDescription({ type: 'answer', sdp })", pc.LocalDescription!.Sdp).WaitAsync(timeout.Token);

            // Chromium sends as many layers as the resolution allows (two or three at 640x480) once its estimate allows them.
            string Seen() => string.Join(", ", tracks.Values.Select(t => $"{t.Track.Rid ?? "-"}:{t.Track.Ssrc}={Interlocked.Read(ref t.Packets[0])}"));
            await LoopbackPair.WaitForAsync(() => tracks.Values.Count(t => Interlocked.Read(ref t.Packets[0]) >= 50) >= 2,
                TimeSpan.FromSeconds(45), () => $"two layers with packets flowing ({Seen()})");
            var sent = await page.EvaluateAsync<string>(@"async () => {
                const out = [];
                (await window.pc.getStats()).forEach(s => { if (s.type === 'outbound-rtp') out.push(s.rid + ' ssrc=' + s.ssrc + ' ' + s.packetsSent + ' packets ' + (s.frameWidth ?? '-') + 'x' + (s.frameHeight ?? '-')); });
                return out.join('; ');
            }").WaitAsync(timeout.Token);
            output.WriteLine($"received: {Seen()}\nChromium sent: {sent}");
            await pc.CloseAsync();
            await Task.WhenAll(pumps).WaitAsync(TimeSpan.FromSeconds(10));

            var layers = tracks.Values.Select(t => t.Track).ToList();
            // Every track has a rid, one of those offered, each rid once; each on its own SSRC, as Chromium reports it.
            Assert.All(layers, t => Assert.Contains(t.Rid, new[] { "q", "h", "f" }));
            Assert.Equal(layers.Count, layers.Select(t => t.Rid).Distinct().Count());
            Assert.All(layers, t => Assert.Contains($"{t.Rid} ssrc={t.Ssrc} ", sent));
            Assert.All(layers, t => Assert.Equal("0", t.Mid));
            Assert.All(layers, t => Assert.Equal("video/VP8", t.Codec, ignoreCase: true));
        }
        finally { await browser.CloseAsync(); }
    }
}
