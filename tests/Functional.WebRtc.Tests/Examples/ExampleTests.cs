using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using DataChannels;
using Functional.WebRtc.Tests.Media;
using Microsoft.Playwright;
using PlayFromDisk;
using Reflect;
using Xunit.Abstractions;

namespace Functional.WebRtc.Tests.Examples;

/// <summary>
/// The examples run as a user runs them (their own web server on 127.0.0.1, a free port), with headless Chromium as the
/// user: it loads the example's page, which does the signaling itself; the test asserts what the page sees. Run inside a
/// loopback-only namespace (<c>unshare -n</c>); the examples keep only the browser's 127.0.0.1 candidates and gather on
/// 127.0.0.1 only.
/// </summary>
public class ExampleTests(ITestOutputHelper output)
{
    [Interop.InteropFact]
    [Trait("Category", "Browser")]
    public async Task DataChannelsEchoesTheMessagesOfTheBrowserPage()
    {
        var log = new ExampleLog();
        await RunAsync(log, (listening, stop) => DataChannelsExample.RunAsync(new ExampleOptions { Port = 0, Log = log, Listening = listening }, stop), async (page, cancel) =>
        {
            // The page sends "hello from the browser" when the channel opens; the example answers "echo: ...".
            await WaitAsync(page, "window.received", r => r.Contains("echo: hello from the browser"), TimeSpan.FromSeconds(60), cancel);
            await page.EvaluateAsync("() => { window.dc.send('second'); window.dc.send('ünïcödé ✓'); }").WaitAsync(cancel);
            var received = await WaitAsync(page, "window.received", r => r.Count >= 3, TimeSpan.FromSeconds(30), cancel);
            Assert.Equal(new[] { "echo: hello from the browser", "echo: second", "echo: ünïcödé ✓" }, received);
            Assert.Contains("browser: hello from the browser", log.Lines);
            Assert.Contains("the browser opened channel 'chat'", log.Lines);
        });
    }

    [Interop.InteropFact]
    [Trait("Category", "Browser")]
    public async Task PlayFromDiskPlaysTheVideoAndTheAudioFileInTheBrowserPage()
    {
        // Files as a user passes them (the example makes 10-second ones itself without; these 3-second ones are quicker to make).
        var videoPath = FfmpegFiles.Vp8File(seconds: 3);
        var audioPath = FfmpegFiles.OpusFile(seconds: 3);
        try
        {
            var log = new ExampleLog();
            var options = new PlayFromDiskOptions { Port = 0, Log = log, VideoPath = videoPath, AudioPath = audioPath, Loop = true };
            await RunAsync(log, (listening, stop) => PlayFromDiskExample.RunAsync(options with { Listening = listening }, stop),
                async (page, cancel) =>
                {
                    var first = await PollAsync(page, s => s.Video.FramesDecoded >= 10 && s.Audio.TotalSamplesReceived > 0, TimeSpan.FromSeconds(60), cancel);
                    await Task.Delay(TimeSpan.FromSeconds(3), cancel);
                    var second = await ChromiumReceiver.InboundAsync(page, cancel);
                    output.WriteLine($"first {first}\nsecond {second}");
                    var frames = second.Video.FramesDecoded - first.Video.FramesDecoded;
                    var samples = second.Audio.TotalSamplesReceived - first.Audio.TotalSamplesReceived;
                    var real = second.Audio.RealSamples - first.Audio.RealSamples;
                    Assert.True(frames >= 30, $"Chromium decoded {frames} frames in about 3 s (30 fps sent)");
                    Assert.True(samples >= 48_000, $"Chromium received {samples} audio samples in about 3 s (48 kHz)");
                    Assert.True(real >= samples / 2, $"{real} of {samples} samples really decoded, the rest concealed");
                    Assert.True(second.Audio.TotalAudioEnergy > first.Audio.TotalAudioEnergy, "the 440 Hz sine has energy");
                    Assert.Contains("video: playing", log.Lines);
                    Assert.Contains("audio: playing", log.Lines);
                });
        }
        finally
        {
            File.Delete(videoPath);
            File.Delete(audioPath);
        }
    }

    [Interop.InteropFact]
    [Trait("Category", "Browser")]
    public async Task ReflectSendsTheBrowsersCameraBackAndTheBrowserDecodesIt()
    {
        var log = new ExampleLog();
        var counters = new ReflectCounters();
        await RunAsync(log, (listening, stop) => ReflectExample.RunAsync(new ReflectOptions { Port = 0, Log = log, Listening = listening }, stop, counters),
            async (page, cancel) =>
            {
                // Chromium's fake camera goes to the example and back: the page's inbound video is what the example reflected.
                var first = await PollAsync(page, s => s.Video.FramesDecoded >= 10, TimeSpan.FromSeconds(60), cancel);
                await Task.Delay(TimeSpan.FromSeconds(3), cancel);
                var second = await ChromiumReceiver.InboundAsync(page, cancel);
                output.WriteLine($"first {first.Video}\nsecond {second.Video}\nreflected {counters.PacketsReflected} packets, forwarded {counters.KeyframeRequestsForwarded} keyframe requests");
                var frames = second.Video.FramesDecoded - first.Video.FramesDecoded;
                Assert.True(frames >= 15, $"Chromium decoded {frames} reflected frames in about 3 s");
                Assert.True(counters.PacketsReflected >= second.Video.PacketsReceived / 2, $"{counters.PacketsReflected} packets reflected, {second.Video.PacketsReceived} received");
                Assert.Contains(log.Lines, l => l.StartsWith("reflecting video/VP8", StringComparison.OrdinalIgnoreCase));
                // When the page's receiver asked for a keyframe (it usually does, having missed the first packets), the
                // example forwarded it, and the page's own sender counts the PLI it got (outbound-rtp pliCount).
                if (second.Video.PliCount + second.Video.FirCount > 0)
                {
                    await LoopbackWait(() => counters.KeyframeRequestsForwarded >= 1, "the keyframe request forwarded");
                    var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
                    long upstream;
                    while ((upstream = await page.EvaluateAsync<long>(@"async () => {
                        let n = 0;
                        (await window.pc.getStats()).forEach(s => { if (s.type === 'outbound-rtp' && s.kind === 'video') n += s.pliCount || 0; });
                        return n;
                    }").WaitAsync(cancel)) < 1 && DateTime.UtcNow < deadline) await Task.Delay(250, cancel);
                    Assert.True(upstream >= 1, "the page's sender got no PLI though the example forwarded one");
                }
                Assert.Contains("track back: video", log.Lines.Select(l => l.Replace("page: ", "")));
            });
    }

    /// <summary>
    /// Starts an example on a free port, opens its page in headless Chromium, runs <paramref name="check"/>, then stops the
    /// example and waits (bounded) for it to close everything. Two minutes at most in all.
    /// </summary>
    private async Task RunAsync(ExampleLog log, Func<Action<Uri>, CancellationToken, Task> run, Func<IPage, CancellationToken, Task> check)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(150));
        using var stop = new CancellationTokenSource();
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        var example = Task.Run(() => run(url => listening.TrySetResult(url), stop.Token));
        var checkedAll = false;
        try
        {
            await Task.WhenAny(listening.Task, example).WaitAsync(TimeSpan.FromSeconds(150), timeout.Token);
            if (example.IsCompleted) await example; // it failed to start: its exception tells why
            var url = await listening.Task;
            Assert.Equal("127.0.0.1", url.Host);
            using var playwright = await Playwright.CreateAsync();
            await using var browser = await Interop.BrowserPeer.LaunchBrowserAsync(playwright).WaitAsync(timeout.Token);
            try
            {
                var page = await browser.NewPageAsync();
                await page.GotoAsync(url.ToString()).WaitAsync(timeout.Token);
                await check(page, timeout.Token);
                checkedAll = true;
            }
            finally { await browser.CloseAsync().WaitAsync(TimeSpan.FromSeconds(20)); }
        }
        finally
        {
            await stop.CancelAsync();
            var ended = await Task.WhenAny(example, Task.Delay(TimeSpan.FromSeconds(60))) == example;
            output.WriteLine(string.Join("\n", log.Lines));
            if (checkedAll) // else the check's own failure is the one to report
            {
                Assert.True(ended, "the example did not stop within 60 s of its cancellation");
                await example; // no exception escapes a clean stop
            }
        }
    }

    private static Task LoopbackWait(Func<bool> condition, string what) =>
        Connection.LoopbackPair.WaitForAsync(condition, TimeSpan.FromSeconds(20), what);

    /// <summary>Polls a page expression holding an array of strings until <paramref name="done"/> holds.</summary>
    private static async Task<List<string>> WaitAsync(IPage page, string expression, Func<List<string>, bool> done, TimeSpan within, CancellationToken cancel)
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            var value = await page.EvaluateAsync<JsonElement>($"() => {expression} || []").WaitAsync(cancel);
            var list = value.EnumerateArray().Select(e => e.GetString() ?? "").ToList();
            if (done(list)) return list;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{expression} is still [{string.Join(", ", list)}] after {within}");
            await Task.Delay(200, cancel);
        }
    }

    private static async Task<(InboundMedia Audio, InboundMedia Video)> PollAsync(
        IPage page, Func<(InboundMedia Audio, InboundMedia Video), bool> done, TimeSpan within, CancellationToken cancel)
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            var stats = await ChromiumReceiver.InboundAsync(page, cancel);
            if (done(stats)) return stats;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"the page's stats did not get there in {within}: {stats}");
            await Task.Delay(250, cancel);
        }
    }
}
