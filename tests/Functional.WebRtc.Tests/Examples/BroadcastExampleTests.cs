using Broadcast;
using Functional.WebRtc.Tests.Media;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Functional.WebRtc.Tests.Examples;

/// <summary>
/// The broadcast example with headless Chromium as its users: one page publishes its fake camera, two later pages
/// subscribe, and each subscriber decodes the broadcast (its framesDecoded keeps growing). Each subscriber joins after
/// the publisher's first keyframe went by, so it decodes only thanks to a keyframe the example asked the publisher for.
/// Run inside a loopback-only namespace (<c>unshare -n</c>).
/// </summary>
public class BroadcastExampleTests(ITestOutputHelper output)
{
    [Interop.InteropFact]
    [Trait("Category", "Browser")]
    public async Task TwoSubscribersDecodeThePublishersCamera()
    {
        var counters = new BroadcastCounters();
        await using var host = await ExampleHost.StartAsync((log, listening, stop) =>
            BroadcastExample.RunAsync(new BroadcastOptions { Port = 0, Log = log, Listening = listening }, stop, counters));
        try
        {
            var publisher = await host.OpenAsync("?publish");
            await ExampleHost.PollAsync(() => Task.FromResult(counters.PacketsForwarded), n => n >= 50, TimeSpan.FromSeconds(20),
                "the publisher's packets forwarded");

            var subscribers = new List<IPage>();
            foreach (var _ in Enumerable.Range(0, 2))
            {
                var page = await host.OpenAsync("?subscribe");
                subscribers.Add(page);
                await ExampleHost.PollAsync(() => ChromiumReceiver.InboundAsync(page, CancellationToken.None), s => s.Video.FramesDecoded >= 5,
                    TimeSpan.FromSeconds(20), $"subscriber {subscribers.Count} decoding");
            }

            // Both keep decoding, at the same time, from the one publisher.
            var first = await Task.WhenAll(subscribers.Select(p => ChromiumReceiver.InboundAsync(p, CancellationToken.None)));
            await Task.Delay(TimeSpan.FromSeconds(3));
            var second = await Task.WhenAll(subscribers.Select(p => ChromiumReceiver.InboundAsync(p, CancellationToken.None)));
            for (var i = 0; i < subscribers.Count; i++)
            {
                output.WriteLine($"subscriber {i + 1}: {first[i].Video} -> {second[i].Video}");
                var frames = second[i].Video.FramesDecoded - first[i].Video.FramesDecoded;
                Assert.True(frames >= 15, $"subscriber {i + 1} decoded {frames} frames in about 3 s");
                Assert.True(second[i].Video.KeyFramesDecoded >= 1, $"subscriber {i + 1} decoded no keyframe");
            }

            // Every new subscriber asked the publisher for a keyframe, and the publisher's sender got the PLIs.
            Assert.Equal(1, counters.Publishers);
            Assert.Equal(2, counters.Subscribers);
            Assert.True(counters.KeyframeRequestsForwarded >= 2, $"{counters.KeyframeRequestsForwarded} keyframe requests forwarded");
            var pli = await ExampleHost.PollAsync(() => publisher.EvaluateAsync<long>(@"async () => {
                    let n = 0;
                    (await window.pc.getStats()).forEach(s => { if (s.type === 'outbound-rtp' && s.kind === 'video') n += s.pliCount || 0; });
                    return n;
                }"), n => n >= 1, TimeSpan.FromSeconds(5), "the PLIs counted by the publisher's sender");
            output.WriteLine($"forwarded {counters.PacketsForwarded} packets, {counters.KeyframeRequestsForwarded} keyframe requests; publisher's pliCount {pli}");
            Assert.Contains(host.Log.Lines, l => l.StartsWith("publisher: video/VP8", StringComparison.OrdinalIgnoreCase));
            Assert.Equal(2, host.Log.Lines.Count(l => l == "page: receiving the broadcast"));
            await host.StopAsync();
        }
        finally { output.WriteLine(host.Log.ToString()); }
    }
}
