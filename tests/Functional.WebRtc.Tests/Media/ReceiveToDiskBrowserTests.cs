using System.Collections.Concurrent;
using Functional.WebRtc.Core.Rtp;
using Functional.WebRtc.Core.Signaling;
using Functional.WebRtc.Media;
using Functional.WebRtc.Tests.Connection;
using LanguageExt;
using Microsoft.Playwright;

namespace Functional.WebRtc.Tests.Media;

/// <summary>
/// Media received from a browser, judged by a decoder: headless Chromium's fake camera and microphone send to our
/// PeerConnection; we take the tracks from OnTrack, rebuild frames with the SampleBuilder, write IVF / Annex B / Ogg Opus
/// with our writers, and Debian's ffprobe and ffmpeg decode every frame of the files without an error.
/// Run inside a loopback-only namespace (<c>unshare -n</c>); only the browser's udp 127.0.0.1 candidates reach our agent.
/// </summary>
public class ReceiveToDiskBrowserTests(Xunit.Abstractions.ITestOutputHelper output)
{
    /// <summary>Media time each track must cover before we stop (more than the 2 s asserted).</summary>
    private static readonly TimeSpan Wanted = TimeSpan.FromSeconds(3);

    [BrowserMediaFact]
    [Trait("Category", "Browser")]
    public async Task ChromiumVp8AndOpusSavedToIvfAndOggDecodeFrameByFrame()
    {
        var dir = Directory.CreateTempSubdirectory("receive-vp8-");
        try
        {
            var run = await ChromiumSendsAsync("VP8", dir.FullName);
            var video = await Ffprobe.ProbeAsync(run.VideoPath, "v");
            var audio = await Ffprobe.ProbeAsync(run.AudioPath, "a");
            output.WriteLine($"{run}\nffprobe: {video}; {audio}");
            
            Assert.True(video.CodecName == "vp8" && video.Errors.Length == 0, $"IVF: {video}; {run}");
            Assert.True(audio.CodecName == "opus" && audio.Errors.Length == 0, $"Ogg: {audio}; {run}");
            AssertPlausible(video, audio, run);
            Assert.Equal((video.Width, video.Height), (run.Width, run.Height));
            await Ffprobe.AssertDecodesCleanlyAsync("IVF (VP8)", run.VideoPath);
            await Ffprobe.AssertDecodesCleanlyAsync("Ogg Opus", run.AudioPath);
        }
        finally { dir.Delete(recursive: true); }
    }

    [BrowserMediaFact(h264: true)]
    [Trait("Category", "Browser")]
    public async Task ChromiumH264SavedToAnnexBDecodesFrameByFrame()
    {
        var dir = Directory.CreateTempSubdirectory("receive-h264-");
        try
        {
            var run = await ChromiumSendsAsync("H264", dir.FullName);
            var video = await Ffprobe.ProbeAsync(run.VideoPath, "v", "h264");
            var audio = await Ffprobe.ProbeAsync(run.AudioPath, "a");
            output.WriteLine($"{run}\nffprobe: {video}; {audio}");
            Assert.True(video.CodecName == "h264" && video.Errors.Length == 0, $"Annex B: {video}; {run}");
            Assert.True(audio.CodecName == "opus" && audio.Errors.Length == 0, $"Ogg: {audio}; {run}");
            AssertPlausible(video, audio, run);
            await Ffprobe.AssertDecodesCleanlyAsync("Annex B (H.264)", run.VideoPath, "h264");
        }
        finally { dir.Delete(recursive: true); }
    }

    private static void AssertPlausible(ProbedStream video, ProbedStream audio, Run run)
    {
        // At least 2 s of each: Chromium's fake camera runs at 30 fps, but an encoder under CPU load may drop to a few;
        // Opus packets are 20 ms (so 100 for 2 s). Every frame we wrote is decoded.
        Assert.True(run.VideoDuration >= TimeSpan.FromSeconds(2) && video.FramesDecoded >= 20, $"video: {video}; {run}");
        Assert.Equal(run.VideoFrames, video.FramesDecoded);
        Assert.True(run.AudioDuration >= TimeSpan.FromSeconds(2) && audio.FramesDecoded >= 100, $"audio: {audio}; {run}");
        Assert.True(video.Width is >= 16 and <= 1920 && video.Height is >= 16 and <= 1080, $"video size: {video}");
        foreach (var kind in new[] { "video", "audio" })
        {
            var fields = run.ReportsSeenByChromium.Split("; ").Where(r => r.StartsWith(kind + " rtt=", StringComparison.Ordinal))
                .Select(r => r.Split(' ')).ToArray();
            Assert.True(fields.Length == 1, $"Chromium's stats from our {kind} receiver reports: {run}");
            var rtt = double.Parse(fields[0][1][4..], System.Globalization.CultureInfo.InvariantCulture);
            var lost = long.Parse(fields[0][2][5..], System.Globalization.CultureInfo.InvariantCulture);
            // A negative loss was our bug: RTX probe copies of packets we had were counted as received.
            Assert.True(rtt is >= 0 and < 2 && lost >= 0, $"Chromium's round-trip time and loss from our {kind} receiver reports: {run}");
        }
    }

    public sealed record Run(string VideoPath, string AudioPath, string VideoCodec, string AudioCodec, long VideoFrames, long AudioFrames,
        TimeSpan VideoDuration, TimeSpan AudioDuration, long Dropped, int Width, int Height, long PlisSent)
    {
        /// <summary>Chromium's remote-inbound-rtp stats (built from our receiver reports), one "kind rtt=... lost=..." per track.</summary>
        public string ReportsSeenByChromium { get; init; } = "";

        /// <summary>Chromium's outbound-rtp stats per track: packets sent, frames encoded, encoder implementation.</summary>
        public string ChromiumSent { get; init; } = "";

        public override string ToString() =>
            $"received {VideoCodec} {VideoFrames} frames over {VideoDuration.TotalSeconds:F1} s ({Width}x{Height}), {AudioCodec} {AudioFrames} packets over {AudioDuration.TotalSeconds:F1} s, {Dropped} packets dropped, {PlisSent} PLIs; Chromium from our reports: {ReportsSeenByChromium}; Chromium sent: {ChromiumSent}";
    }

    /// <summary>
    /// Chromium offers its camera and microphone; we answer with Opus and only <paramref name="videoCodec"/> (for H.264:
    /// packetization-mode 1, profile-level-id 42e01f, what browsers send), and save both tracks until each covers
    /// <see cref="Wanted"/> of media time (bounded).
    /// </summary>
    private static async Task<Run> ChromiumSendsAsync(string videoCodec, string dir)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await Interop.BrowserPeer.LaunchBrowserAsync(playwright);
        try
        {
            var page = await browser.NewPageAsync();
            await page.RouteAsync("http://127.0.0.1/**", r => r.FulfillAsync(new RouteFulfillOptions { Status = 200, ContentType = "text/html", Body = "<html></html>" }));
            await page.GotoAsync("http://127.0.0.1/send.html");
            if (videoCodec == "H264")
            {
                var encoders = await page.EvaluateAsync<string[]>(
                    "() => RTCRtpSender.getCapabilities('video').codecs.map(c => c.mimeType + ' ' + (c.sdpFmtpLine || ''))");
                Assert.True(encoders.Any(c => c.StartsWith("video/H264", StringComparison.OrdinalIgnoreCase)),
                    "Chromium cannot encode H.264 here; it can send: " + string.Join(", ", encoders));
            }
            var loopbackOnly = await ChromiumSender.LoopbackOfferAsync(page, new { audio = true, video = new { width = 320, height = 240, frameRate = 30 } }, timeout.Token);

            var engine = MediaEngine.Default with { Codecs = CodecsFor(videoCodec) };
            await using var pc = new PeerConnection(null, new SettingEngine { MediaEngine = engine });
            var videoPath = Path.Combine(dir, videoCodec == "VP8" ? "output.ivf" : "output.h264");
            var audioPath = Path.Combine(dir, "output.ogg");
            var saver = new Saver(pc, videoPath, audioPath);
            await pc.SetRemoteDescriptionAsync(SessionDescription.Offer(loopbackOnly));
            await pc.SetLocalDescriptionAsync(await pc.CreateAnswerAsync());
            await pc.GatheringComplete.WaitAsync(timeout.Token);
            await page.EvaluateAsync("sdp => window.pc.setRemoteDescription({ type: 'answer', sdp })", pc.LocalDescription!.Sdp).WaitAsync(timeout.Token);

            await LoopbackPair.WaitForAsync(() => saver.Video is { } v && saver.Audio is { } a && v.Duration >= Wanted && a.Duration >= Wanted,
                TimeSpan.FromSeconds(60), $"{Wanted.TotalSeconds} s of both tracks ({saver})");
            // Our receiver reports reach Chromium (RFC 3550 6.4.2): its remote-inbound-rtp stats of each track get a round-trip
            // time, which it computes only from a report block echoing its sender report (LSR) with the delay since (DLSR).
            var reports = "";
            for (var i = 0; i < 40 && !(reports.Contains("video rtt=", StringComparison.Ordinal) && reports.Contains("audio rtt=", StringComparison.Ordinal)); i++)
            {
                if (i > 0) await Task.Delay(250, timeout.Token);
                reports = await page.EvaluateAsync<string>(@"async () => {
                    const out = [];
                    (await window.pc.getStats()).forEach(s => { if (s.type === 'remote-inbound-rtp' && s.roundTripTime !== undefined) out.push(s.kind + ' rtt=' + s.roundTripTime + ' lost=' + s.packetsLost + ' jitter=' + s.jitter); });
                    return out.join('; ');
                }").WaitAsync(timeout.Token);
            }
            var sent = await page.EvaluateAsync<string>(@"async () => {
                const out = [];
                (await window.pc.getStats()).forEach(s => { if (s.type === 'outbound-rtp') out.push(s.kind + ' ' + s.packetsSent + ' packets, ' + (s.framesEncoded ?? '-') + ' frames encoded, ' + (s.encoderImplementation ?? '')); });
                return out.join('; ');
            }").WaitAsync(timeout.Token);
            await pc.CloseAsync();
            var run = await saver.FinishAsync(videoCodec) with { ReportsSeenByChromium = reports, ChromiumSent = sent };
            Assert.True(run.VideoFrames > 0 && run.AudioFrames > 0, $"{run}; Chromium sent {sent}");
            return run;
        }
        finally { await browser.CloseAsync(); }
    }

    internal static Arr<RtpCodec> CodecsFor(string videoCodec)
    {
        var codecs = MediaEngine.Default.Codecs;
        var video = codecs.Filter(c => c.Name == videoCodec && (videoCodec != "H264" ||
            c.FmtpParameters.Find("packetization-mode").Exists(v => v == "1") && c.FmtpParameters.Find("profile-level-id").Exists(v => v == "42e01f")));
        Assert.Single(video);
        var pt = video[0].PayloadType;
        return codecs.Filter(c => c.Name == "opus" || c == video[0] || c.IsRtx && c.Apt.Exists(a => a == pt));
    }

    /// <summary>Saves the first audio and the first video track: a reader loop per track into a file writer; PLIs until a key frame.</summary>
    private sealed class Saver
    {
        private readonly ConcurrentBag<Task> _pumps = new();
        private readonly string _videoPath, _audioPath;
        private long _plis;

        public Saver(PeerConnection pc, string videoPath, string audioPath)
        {
            (_videoPath, _audioPath) = (videoPath, audioPath);
            pc.OnTrack += (track, receiver) =>
            {
                RtpFileWriter? writer;
                lock (this)
                {
                    writer = (track.Kind, track.Codec.ToUpperInvariant()) switch
                    {
                        (MediaKind.Video, "VIDEO/VP8") when Video is null => Video = IvfFileWriter.Create(videoPath),
                        (MediaKind.Video, "VIDEO/H264") when Video is null => Video = H264FileWriter.Create(videoPath),
                        (MediaKind.Audio, "AUDIO/OPUS") when Audio is null => Audio = OggOpusFileWriter.Create(audioPath),
                        _ => null,
                    };
                }
                if (writer is not null) _pumps.Add(Task.Run(() => writer.RecordAsync(pc, track, () => Interlocked.Increment(ref _plis))));
            };
        }

        public RtpFileWriter? Video { get; private set; }
        public RtpFileWriter? Audio { get; private set; }

        public async Task<Run> FinishAsync(string videoCodec)
        {
            await Task.WhenAll(_pumps).WaitAsync(TimeSpan.FromSeconds(20));
            Video?.Close();
            Audio?.Close();
            var size = Video is IvfFileWriter ivf ? ivf.Size : ((ushort)0, (ushort)0);
            return new Run(_videoPath, _audioPath, videoCodec, "opus", Video?.FramesWritten ?? 0, Audio?.FramesWritten ?? 0,
                Video?.Duration ?? TimeSpan.Zero, Audio?.Duration ?? TimeSpan.Zero, (Video?.PacketsDropped ?? 0) + (Audio?.PacketsDropped ?? 0),
                size.Item1, size.Item2, Interlocked.Read(ref _plis));
        }

        public override string ToString() =>
            $"video {Video?.FramesWritten ?? -1} frames {Video?.Duration.TotalSeconds ?? 0:F1} s, audio {Audio?.FramesWritten ?? -1} packets {Audio?.Duration.TotalSeconds ?? 0:F1} s";
    }
}
