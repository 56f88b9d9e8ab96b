using System.Diagnostics;
using System.Text.Json;
using Functional.WebRtc.Core.Media;
using Microsoft.Playwright;

namespace Functional.WebRtc.Tests.Media;

/// <summary>What Chromium's getStats() says of one inbound-rtp stream (zeros for what it does not report).</summary>
internal sealed record InboundMedia(
    long Ssrc, long PacketsReceived, long FramesDecoded, long KeyFramesDecoded, long PliCount, long FirCount,
    long TotalSamplesReceived, long ConcealedSamples, double TotalAudioEnergy, double AudioLevel)
{
    public static readonly InboundMedia None = new(0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

    /// <summary>Audio samples that were really decoded (received minus concealed).</summary>
    public long RealSamples => TotalSamplesReceived - ConcealedSamples;

    internal static InboundMedia From(JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.Object) return None;
        long L(string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? (long)v.GetDouble() : 0;
        double D(string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : 0;
        return new(L("ssrc"), L("packetsReceived"), L("framesDecoded"), L("keyFramesDecoded"), L("pliCount"), L("firCount"),
            L("totalSamplesReceived"), L("concealedSamples"), D("totalAudioEnergy"), D("audioLevel"));
    }
}

/// <summary>
/// A headless Chromium page (served from http://127.0.0.1/ by Playwright's router, so a secure context) whose
/// RTCPeerConnection offers to receive audio and/or video, for tests of the media WE send. getUserMedia (fake devices)
/// runs before the connection is made, so Chromium gathers its 127.0.0.1 candidate; the tracks are stopped at once.
/// </summary>
internal sealed class ChromiumReceiver : IAsyncDisposable
{
    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;
    public IPage Page { get; }

    private ChromiumReceiver(IPlaywright playwright, IBrowser browser, IPage page)
    {
        _playwright = playwright;
        _browser = browser;
        Page = page;
    }

    public static async Task<ChromiumReceiver> OpenAsync(CancellationToken cancel)
    {
        var playwright = await Playwright.CreateAsync();
        IBrowser? browser = null;
        try
        {
            browser = await Interop.BrowserPeer.LaunchBrowserAsync(playwright).WaitAsync(cancel);
            var page = await browser.NewPageAsync();
            await page.RouteAsync("http://127.0.0.1/**", r => r.FulfillAsync(new RouteFulfillOptions { Status = 200, ContentType = "text/html", Body = "<html></html>" }));
            await page.GotoAsync("http://127.0.0.1/receive.html").WaitAsync(cancel);
            return new ChromiumReceiver(playwright, browser, page);
        }
        catch
        {
            if (browser is not null) await browser.CloseAsync();
            playwright.Dispose();
            throw;
        }
    }

    /// <summary>The page's offer (recvonly transceivers), complete with candidates, cut down to its udp 127.0.0.1 ones.</summary>
    public async Task<string> OfferAsync(bool audio, bool video, CancellationToken cancel)
    {
        var offer = await Page.EvaluateAsync<string>(@"async ([audio, video]) => {
            (await navigator.mediaDevices.getUserMedia({ audio: true })).getTracks().forEach(t => t.stop());
            const pc = window.pc = new RTCPeerConnection();
            // Chromium decodes received audio only for a playing sink (an element; a muted one reports no energy).
            window.sinks = [];
            pc.ontrack = e => {
                const el = document.createElement(e.track.kind);
                el.muted = false;
                el.autoplay = true;
                el.srcObject = new MediaStream([e.track]);
                document.body.appendChild(el);
                window.sinks.push(el);
                el.play().catch(err => window.playErrors = String(err));
            };
            if (video) pc.addTransceiver('video', { direction: 'recvonly' });
            if (audio) pc.addTransceiver('audio', { direction: 'recvonly' });
            await pc.setLocalDescription(await pc.createOffer());
            await new Promise(r => {
                if (pc.iceGatheringState === 'complete') r();
                pc.addEventListener('icegatheringstatechange', () => { if (pc.iceGatheringState === 'complete') r(); });
            });
            return pc.localDescription.sdp;
        }", new[] { audio, video }).WaitAsync(cancel);
        return LoopbackOnly(offer);
    }

    /// <summary>Network safety: only udp 127.0.0.1 candidates of a description reach our ICE agent.</summary>
    public static string LoopbackOnly(string sdp)
    {
        var kept = string.Join("\r\n", sdp.Split("\r\n").Where(l =>
            !l.StartsWith("a=candidate", StringComparison.Ordinal) ||
            (l.Contains(" 127.0.0.1 ", StringComparison.Ordinal) && l.Contains(" udp ", StringComparison.OrdinalIgnoreCase))));
        if (!kept.Contains("127.0.0.1", StringComparison.Ordinal)) throw new InvalidOperationException("Chromium gathered no 127.0.0.1 candidate");
        return kept;
    }

    public Task AnswerAsync(string sdp, CancellationToken cancel) =>
        Page.EvaluateAsync("sdp => window.pc.setRemoteDescription({ type: 'answer', sdp })", sdp).WaitAsync(cancel);

    /// <summary>The inbound-rtp stats of window.pc in a page (any page with an RTCPeerConnection at <c>window.pc</c>).</summary>
    public static async Task<(InboundMedia Audio, InboundMedia Video)> InboundAsync(IPage page, CancellationToken cancel, string pcExpression = "window.pc")
    {
        var stats = await page.EvaluateAsync<JsonElement>(@"async () => {
            const out = { audio: null, video: null };
            const pc = " + pcExpression + @";
            if (!pc) return out;
            (await pc.getStats()).forEach(s => { if (s.type === 'inbound-rtp') out[s.kind] = s; });
            return out;
        }").WaitAsync(cancel);
        return (InboundMedia.From(stats.GetProperty("audio")), InboundMedia.From(stats.GetProperty("video")));
    }

    public Task<(InboundMedia Audio, InboundMedia Video)> InboundAsync(CancellationToken cancel) => InboundAsync(Page, cancel);

    public async ValueTask DisposeAsync()
    {
        try { await _browser.CloseAsync().WaitAsync(TimeSpan.FromSeconds(20)); }
        catch (Exception) { /* the browser is gone or hung; Playwright kills it on dispose */ }
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }
}

/// <summary>Media files made at test time by Debian's ffmpeg (libvpx, libopus) from its lavfi test sources.</summary>
internal static class FfmpegFiles
{
    /// <summary>
    /// <paramref name="seconds"/> of the 320x240 30 fps test pattern as VP8 in IVF; <paramref name="keyframeEvery"/> frames
    /// at most between keyframes (a large value gives a lone keyframe at the start).
    /// </summary>
    public static IvfFile Vp8(int seconds = 3, int keyframeEvery = 30) =>
        Read(Vp8File(seconds, keyframeEvery), bytes => Ivf.Read(bytes).Match(f => f, e => throw new InvalidDataException(e.Message)));

    /// <summary>As <see cref="Vp8"/>, left in a temporary .ivf file for the caller (who deletes it).</summary>
    public static string Vp8File(int seconds = 3, int keyframeEvery = 30) =>
        MakeFile("ivf", ["-f", "lavfi", "-i", "testsrc=size=320x240:rate=30", "-t", $"{seconds}", "-c:v", "libvpx", "-b:v", "300k",
            "-g", $"{keyframeEvery}", "-keyint_min", $"{keyframeEvery}"]);

    /// <summary><paramref name="seconds"/> of a 440 Hz sine as Opus (48 kHz, 20 ms packets) in Ogg.</summary>
    public static OggOpusFile Opus(int seconds = 3) =>
        Read(OpusFile(seconds), bytes => OggOpus.Read(bytes).Match(f => f, e => throw new InvalidDataException(e.Message)));

    /// <summary>As <see cref="Opus"/>, left in a temporary .ogg file for the caller (who deletes it).</summary>
    public static string OpusFile(int seconds = 3) =>
        MakeFile("ogg", ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", $"{seconds}", "-c:a", "libopus", "-b:a", "48k",
            "-frame_duration", "20"]);

    /// <summary>Is this VP8 frame a keyframe (RFC 6386 9.1: bit 0 of the frame tag is 0)?</summary>
    public static bool IsVp8Keyframe(ReadOnlySpan<byte> frame) => frame.Length > 0 && (frame[0] & 1) == 0;

    private static T Read<T>(string path, Func<byte[], T> read)
    {
        try { return read(File.ReadAllBytes(path)); }
        finally { File.Delete(path); }
    }

    private static string MakeFile(string extension, string[] arguments)
    {
        var path = Path.Combine(Path.GetTempPath(), $"ffmpeg-{Guid.NewGuid():N}.{extension}");
        var info = new ProcessStartInfo("ffmpeg", ["-y", "-loglevel", "error", .. arguments, path]) { RedirectStandardError = true };
        using var ffmpeg = Process.Start(info) ?? throw new InvalidOperationException("could not start ffmpeg");
        var errors = ffmpeg.StandardError.ReadToEndAsync();
        if (!ffmpeg.WaitForExit(120_000)) { ffmpeg.Kill(); File.Delete(path); throw new TimeoutException("ffmpeg ran over 120 s"); }
        if (ffmpeg.ExitCode != 0) { File.Delete(path); throw new InvalidOperationException($"ffmpeg failed: {errors.Result}"); }
        return path;
    }
}

/// <summary>
/// Sends files through tracks paced in real time (each frame or packet when its time comes, from a stopwatch, so a late
/// wake-up under load sends what is due at once), looping them. Bounded by the cancellation.
/// </summary>
internal static class Pacer
{
    /// <summary>
    /// Plays <paramref name="video"/> frames from <paramref name="firstFrame"/> and the Opus packets, looping, until
    /// <paramref name="until"/> returns true or <paramref name="cancel"/> fires. Returns the frames and packets sent.
    /// </summary>
    public static async Task<(int Frames, int Packets)> PlayAsync(
        TrackLocalStaticSample? videoTrack, IvfFile? video, TrackLocalStaticSample? audioTrack, OggOpusFile? audio,
        Func<bool> until, CancellationToken cancel, int firstFrame = 0)
    {
        var clock = Stopwatch.StartNew();
        var frameTime = video is null ? TimeSpan.Zero
            : TimeSpan.FromSeconds((double)video.Header.TimebaseNumerator / Math.Max(1, video.Header.TimebaseDenominator));
        var frames = video?.Frames.ToArray() ?? [];
        var packets = audio?.Packets.ToArray() ?? [];
        var nextFrame = TimeSpan.Zero;
        var nextPacket = TimeSpan.Zero;
        int f = firstFrame, p = 0, sentFrames = 0, sentPackets = 0;
        while (!cancel.IsCancellationRequested && !until())
        {
            var now = clock.Elapsed;
            while (videoTrack is not null && frames.Length > 0 && nextFrame <= now)
            {
                videoTrack.WriteSample(frames[f % frames.Length].Data.Span, frameTime);
                f++;
                sentFrames++;
                nextFrame += frameTime;
            }
            while (audioTrack is not null && packets.Length > 0 && nextPacket <= now)
            {
                var packet = packets[p % packets.Length].Data.Span;
                var samples = OpusToc.SamplesPerPacket(packet);
                var duration = TimeSpan.FromSeconds((samples > 0 ? samples : 960) / 48000.0);
                audioTrack.WriteSample(packet, duration);
                p++;
                sentPackets++;
                nextPacket += duration;
            }
            try { await Task.Delay(5, cancel); }
            catch (OperationCanceledException) { break; }
        }
        return (sentFrames, sentPackets);
    }
}
