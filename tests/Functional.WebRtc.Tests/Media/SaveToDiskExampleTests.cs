using System.Net;
using System.Net.Sockets;
using Functional.WebRtc.Core.Signaling;
using Microsoft.Playwright;
using SaveToDisk;

namespace Functional.WebRtc.Tests.Media;

/// <summary>
/// The save-to-disk example, end to end: its server (the example's logic, <see cref="SaveToDiskServer"/>) on 127.0.0.1,
/// headless Chromium with fake devices opening its page over real HTTP, and ffprobe/ffmpeg decoding the files it wrote.
/// Run inside a loopback-only namespace (<c>unshare -n</c>).
/// </summary>
public class SaveToDiskExampleTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [BrowserMediaFact]
    [Trait("Category", "Browser")]
    public Task PageCameraAndMicrophoneSavedAsIvfAndOgg() => RunAsync("", "output.ivf", "vp8");

    [BrowserMediaFact(h264: true)]
    [Trait("Category", "Browser")]
    public Task PageCameraSavedAsH264WhenAsked() => RunAsync("?codec=H264", "output.h264", "h264");

    private async Task RunAsync(string query, string videoFile, string videoCodec)
    {
        var dir = Directory.CreateTempSubdirectory("save-to-disk-");
        var log = new StringWriter();
        try
        {
            IReadOnlyList<Recording> written;
            await using (var server = SaveToDiskServer.Start(FreeLoopbackPort(), dir.FullName, TextWriter.Synchronized(log)))
            {
                using var playwright = await Playwright.CreateAsync();
                await using var browser = await Interop.BrowserPeer.LaunchBrowserAsync(playwright);
                try
                {
                    var page = await browser.NewPageAsync();
                    await page.GotoAsync(server.Url + query, new PageGotoOptions { Timeout = 30_000 });
                    using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                    try { await server.WaitForMediaAsync(TimeSpan.FromSeconds(3), cancel.Token); }
                    catch (OperationCanceledException)
                    {
                        Assert.Fail($"3 s of audio and video not saved within 60 s: {string.Join("; ", server.Recordings)}\n{log}");
                    }
                }
                finally { await browser.CloseAsync(); }
                written = await server.FinishAsync();
            }
            output.WriteLine(log.ToString());

            var video = written.Single(r => r.Kind == MediaKind.Video);
            var audio = written.Single(r => r.Kind == MediaKind.Audio);
            Assert.Equal(Path.Combine(dir.FullName, videoFile), video.Path);
            Assert.Equal(Path.Combine(dir.FullName, "output.ogg"), audio.Path);
            var v = await Ffprobe.ProbeAsync(video.Path, "v", videoCodec == "h264" ? "h264" : null);
            var a = await Ffprobe.ProbeAsync(audio.Path, "a");
            output.WriteLine($"ffprobe: {v}; {a}");
            Assert.True(v.CodecName == videoCodec && v.Errors.Length == 0, $"{v}; {video}");
            Assert.True(a.CodecName == "opus" && a.Errors.Length == 0, $"{a}; {audio}");
            // The page asks for 320x240 (an encoder under CPU load may scale down); at least 2 s of each, every frame decoded.
            Assert.True(v.Width is >= 16 and <= 320 && v.Height is >= 16 and <= 240, v.ToString());
            Assert.True(video.Duration >= TimeSpan.FromSeconds(2) && v.FramesDecoded >= 20 && v.FramesDecoded == video.Frames, $"{v}; {video}");
            Assert.True(audio.Duration >= TimeSpan.FromSeconds(2) && a.FramesDecoded >= 100 && a.FramesDecoded == audio.Frames, $"{a}; {audio}");
            await Ffprobe.AssertDecodesCleanlyAsync(videoFile, video.Path, videoCodec == "h264" ? "h264" : null);
            await Ffprobe.AssertDecodesCleanlyAsync("output.ogg", audio.Path);
        }
        finally { dir.Delete(recursive: true); }
    }

    /// <summary>A port free on 127.0.0.1 right now (the OS picks it; HttpListener needs a number).</summary>
    private static int FreeLoopbackPort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }
}
