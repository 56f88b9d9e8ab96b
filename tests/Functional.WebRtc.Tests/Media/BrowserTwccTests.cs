using System.Text.Json;
using Functional.WebRtc.Core.Rtp;
using Functional.WebRtc.Core.Signaling;
using Functional.WebRtc.Tests.Connection;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Functional.WebRtc.Tests.Media;

/// <summary>
/// Chromium sends video to us and judges our transport-wide feedback: its send-side bandwidth estimate (getStats
/// candidate-pair availableOutgoingBitrate) is compared with and without transport-cc negotiated. Needs Debian's Chromium;
/// run inside a loopback-only namespace (<c>unshare -n</c>).
/// </summary>
public class BrowserTwccTests(ITestOutputHelper output)
{
    private sealed record Sample(double Seconds, double Available, double Target, long BytesSent);

    /// <summary>One session: Chromium's fake camera (640x480) to our PeerConnection; samples of its estimate for <paramref name="duration"/>.</summary>
    private static async Task<(List<Sample> Samples, long FeedbackSent, string Answer)> SessionAsync(MediaEngine engine, TimeSpan duration)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await Interop.BrowserPeer.LaunchBrowserAsync(playwright);
        try
        {
            var page = await browser.NewPageAsync();
            await page.RouteAsync("http://127.0.0.1/**", r => r.FulfillAsync(new RouteFulfillOptions { Status = 200, ContentType = "text/html", Body = "<html></html>" }));
            await page.GotoAsync("http://127.0.0.1/twcc.html");
            var loopbackOnly = await ChromiumSender.LoopbackOfferAsync(page, new { video = new { width = 640, height = 480, frameRate = 30 } }, timeout.Token);

            await using var pc = new PeerConnection(null, new SettingEngine { MediaEngine = engine });
            pc.OnTrack += (track, receiver) => { _ = Task.Run(async () => { try { while (true) await track.ReadRtpAsync(); } catch (InvalidStateException) { } }); };
            await pc.SetRemoteDescriptionAsync(SessionDescription.Offer(loopbackOnly));
            await pc.SetLocalDescriptionAsync(await pc.CreateAnswerAsync());
            await pc.GatheringComplete.WaitAsync(timeout.Token);
            await page.EvaluateAsync("sdp => window.pc.setRemoteDescription({ type: 'answer', sdp })", pc.LocalDescription!.Sdp).WaitAsync(timeout.Token);
            await LoopbackPair.WaitForAsync(() => pc.RtpPacketsReceived.Count > 0, TimeSpan.FromSeconds(15), "video from Chromium");

            var samples = new List<Sample>();
            var start = DateTime.UtcNow;
            while (DateTime.UtcNow - start < duration)
            {
                await Task.Delay(500, timeout.Token);
                var s = await page.EvaluateAsync<JsonElement>(@"async () => {
                    const stats = await window.pc.getStats();
                    let available = -1, target = -1, bytes = 0;
                    stats.forEach(s => {
                        if (s.type === 'candidate-pair' && s.nominated && s.availableOutgoingBitrate !== undefined) available = s.availableOutgoingBitrate;
                        if (s.type === 'outbound-rtp' && s.kind === 'video') { target = s.targetBitrate ?? -1; bytes = s.bytesSent; }
                    });
                    return { available, target, bytes };
                }").WaitAsync(timeout.Token);
                samples.Add(new Sample((DateTime.UtcNow - start).TotalSeconds, s.GetProperty("available").GetDouble(),
                    s.GetProperty("target").GetDouble(), (long)s.GetProperty("bytes").GetDouble()));
            }
            return (samples, pc.TransportCcFeedbackCounts.Sent, pc.LocalDescription!.Sdp);
        }
        finally { await browser.CloseAsync(); }
    }

    private static MediaEngine Vp8Only(MediaEngine e) => e with
    {
        Codecs = e.Codecs.Filter(c => c.Name is "VP8" || c.IsRtx && c.Apt.Exists(a => a == 96)),
    };

    [Interop.InteropFact]
    [Trait("Category", "Browser")]
    public async Task ChromiumsBandwidthEstimateMovesOnlyWithOurTransportFeedback()
    {
        var duration = TimeSpan.FromSeconds(5);
        var with = await SessionAsync(Vp8Only(MediaEngine.Default), duration);
        var noTwcc = MediaEngine.Default with
        {
            HeaderExtensions = MediaEngine.Default.HeaderExtensions.Filter(h => h.Uri != MediaEngine.TransportCcUri),
            Codecs = MediaEngine.Default.Codecs.Map(c => c with { Feedback = c.Feedback.Filter(f => f.Type != "transport-cc") }),
        };
        var without = await SessionAsync(Vp8Only(noTwcc), duration);
        foreach (var (name, run) in new[] { ("with transport-cc", with), ("without", without) })
            output.WriteLine($"{name}: feedback sent {run.FeedbackSent}; " +
                string.Join(" ", run.Samples.Select(s => $"{s.Seconds:0.0}s:{s.Available / 1000:0}k/{s.Target / 1000:0}k/{s.BytesSent / 1000}kB")));
        Assert.Contains("transport-cc", with.Answer);
        Assert.DoesNotContain("transport-cc", without.Answer);
        Assert.True(with.FeedbackSent > 10, $"feedback sent {with.FeedbackSent}");
        Assert.Equal(0, without.FeedbackSent);
        // Measured here (load average 35 to 63 on 2 cores, 9 runs, sampled every 0.5 s). Without feedback the estimate
        // stays at exactly 300 kbit/s until receiver reports raise it in 8 % steps from about 2 s (413 kbit/s at 5 s).
        // With our feedback it moves by the first sample in every run: in 3 runs Chromium's start-up probe was confirmed
        // through our feedback (678, 1739 and 3431 kbit/s from 0.5 s on); in the others the probe result was discarded
        // (under this load our user-space arrival times bunch up) and the estimate climbs at every sample (305 to 331
        // kbit/s at 0.5 s). So the probe is not asserted; asserted: within 1.5 s the estimate moves only with feedback.
        double Early(List<Sample> samples) => samples.Where(s => s.Seconds <= 1.5).Select(s => s.Available).DefaultIfEmpty(-1).Max();
        var start = without.Samples[0].Available;
        Assert.True(start > 0, "Chromium reports availableOutgoingBitrate");
        Assert.Equal(start, Early(without.Samples)); // the control: no feedback, no early change
        Assert.True(Early(with.Samples) > start,
            $"availableOutgoingBitrate in the first 1.5 s with transport-cc {Early(with.Samples) / 1000:0} kbit/s, start {start / 1000:0} kbit/s");
    }
}
