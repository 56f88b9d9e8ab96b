using System.Text.Json;
using Functional.WebRtc.Core.Signaling;
using Functional.WebRtc.Tests.Connection;
using Microsoft.Playwright;

namespace Functional.WebRtc.Tests.Media;

/// <summary>
/// The browser is the judge: Chromium (fake camera and microphone) sends Opus and VP8 to us, and decodes the VP8 file we
/// send back. Needs Debian's Chromium at /usr/lib/chromium/chromium; run it inside a loopback-only namespace
/// (<c>unshare -n</c>). Only the browser's 127.0.0.1 UDP candidates are given to our side.
/// </summary>
public class BrowserTrackTests
{
    [Interop.InteropFact]
    [Trait("Category", "Browser")]
    public async Task ChromiumSendsOpusAndVp8AndDecodesTheVp8WeSend()
    {
        var file = IvfFileTrackTests.MakeFile();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await Interop.BrowserPeer.LaunchBrowserAsync(playwright);
        try
        {
            var page = await browser.NewPageAsync();
            await page.RouteAsync("http://127.0.0.1/**", r => r.FulfillAsync(new RouteFulfillOptions { Status = 200, ContentType = "text/html", Body = "<html></html>" }));
            await page.GotoAsync("http://127.0.0.1/media.html");
            var loopbackOnly = await ChromiumSender.LoopbackOfferAsync(page, new { audio = true, video = new { width = 320, height = 240 } }, timeout.Token);

            // Our side answers with Opus and VP8 only, and sends a VP8 file back on the video transceiver.
            var engine = MediaEngine.Default with
            {
                Codecs = MediaEngine.Default.Codecs.Filter(c => c.Name is "opus" or "VP8" || c.IsRtx && c.Apt.Exists(a => a == 96)),
            };
            await using var pc = new PeerConnection(null, new SettingEngine { MediaEngine = engine });
            var received = new Received(pc);
            await pc.SetRemoteDescriptionAsync(SessionDescription.Offer(loopbackOnly));
            var video = new TrackLocalStaticSample(RtpCodecCapability.Vp8, "file", "dotnet");
            var sender = pc.AddTrack(video);
            await pc.SetLocalDescriptionAsync(await pc.CreateAnswerAsync());
            await pc.GatheringComplete.WaitAsync(timeout.Token);
            await page.EvaluateAsync("sdp => window.pc.setRemoteDescription({ type: 'answer', sdp })", pc.LocalDescription!.Sdp).WaitAsync(timeout.Token);
            await LoopbackPair.WaitForAsync(() => sender.CanSend, TimeSpan.FromSeconds(15), "connected to Chromium");

            // Send the file (looping, keyframe first) at 30 fps until Chromium has decoded frames of it.
            var decoded = 0;
            var frames = file.Frames.ToArray();
            for (var i = 0; i < 4 * frames.Length && decoded < 10; i++)
            {
                video.WriteSample(frames[i % frames.Length].Data.Span, TimeSpan.FromSeconds(1.0 / 30));
                await Task.Delay(33);
                if (i % 15 != 14) continue;
                decoded = await page.EvaluateAsync<int>(@"async () => {
                    const stats = await window.pc.getStats();
                    let n = 0;
                    stats.forEach(s => { if (s.type === 'inbound-rtp' && s.kind === 'video') n = s.framesDecoded || 0; });
                    return n;
                }").WaitAsync(timeout.Token);
            }
            Assert.True(decoded >= 10, $"Chromium decoded {decoded} frames of our VP8");
            var kinds = await page.EvaluateAsync<JsonElement>("() => window.remoteKinds");
            Assert.Contains("video", kinds.EnumerateArray().Select(k => k.GetString()));

            // What Chromium sent us: an Opus track and a VP8 track, rebuilt into frames.
            await LoopbackPair.WaitForAsync(() => received.Tracks.Values.Count(t => t.Frames.Count >= 10) >= 2, TimeSpan.FromSeconds(10),
                "frames of both of Chromium's tracks");
            var audio = received.Tracks.Values.Single(t => t.Track.Kind == MediaKind.Audio);
            var vp8 = received.Tracks.Values.Single(t => t.Track.Kind == MediaKind.Video);
            Assert.Equal("audio/opus", audio.Track.Codec, ignoreCase: true);
            Assert.Equal("video/VP8", vp8.Track.Codec, ignoreCase: true);
            Assert.True(vp8.Frames.TryPeek(out var first) && first.Length > 0);
        }
        finally { await browser.CloseAsync(); }
    }
}
