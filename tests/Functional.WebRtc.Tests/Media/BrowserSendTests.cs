using System.Collections.Concurrent;
using Functional.WebRtc.Core.Media;
using Functional.WebRtc.Core.Rtp;
using Functional.WebRtc.Core.Signaling;
using Functional.WebRtc.Tests.Connection;
using Xunit.Abstractions;

namespace Functional.WebRtc.Tests.Media;

/// <summary>
/// Media WE send, judged by headless Chromium's getStats(): a VP8 IVF and an Opus Ogg file (made by ffmpeg at test time)
/// through <see cref="TrackLocalStaticSample"/>, and a picture loss indication from Chromium's decoder reaching
/// <see cref="RtpSender.ReadRtcpAsync"/>. Run inside a loopback-only namespace (<c>unshare -n</c>); only Chromium's
/// 127.0.0.1 UDP candidates are given to our side, and ours are 127.0.0.1 (the SettingEngine default).
/// </summary>
public class BrowserSendTests(ITestOutputHelper output)
{
    private static readonly MediaEngine OpusAndVp8 = MediaEngine.Default with
    {
        Codecs = MediaEngine.Default.Codecs.Filter(c => c.Name is "opus" or "VP8" || c.IsRtx && c.Apt.Exists(a => a == 96)),
    };

    [Interop.InteropFact]
    [Trait("Category", "Browser")]
    public async Task ChromiumDecodesTheVp8FileAndPlaysTheOpusFileWeSend()
    {
        var video = FfmpegFiles.Vp8(seconds: 3);
        var audio = FfmpegFiles.Opus(seconds: 3);
        Assert.True(video.Frames.Count >= 80 && audio.Packets.Count >= 140, $"{video.Frames.Count} frames, {audio.Packets.Count} packets");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await using var browser = await ChromiumReceiver.OpenAsync(timeout.Token);
        var offer = await browser.OfferAsync(audio: true, video: true, timeout.Token);

        await using var pc = new PeerConnection(null, new SettingEngine { MediaEngine = OpusAndVp8 });
        await pc.SetRemoteDescriptionAsync(SessionDescription.Offer(offer));
        var videoTrack = new TrackLocalStaticSample(RtpCodecCapability.Vp8, "video", "files");
        var audioTrack = new TrackLocalStaticSample(RtpCodecCapability.Opus, "audio", "files");
        var videoSender = pc.AddTrack(videoTrack);
        var audioSender = pc.AddTrack(audioTrack);
        await pc.SetLocalDescriptionAsync(await pc.CreateAnswerAsync());
        await pc.GatheringComplete.WaitAsync(timeout.Token);
        await browser.AnswerAsync(pc.LocalDescription!.Sdp, timeout.Token);
        await LoopbackPair.WaitForAsync(() => videoSender.CanSend && audioSender.CanSend, TimeSpan.FromSeconds(30), "connected to Chromium");

        using var playing = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token);
        var play = Pacer.PlayAsync(videoTrack, video, audioTrack, audio, () => false, playing.Token);
        try
        {
            // Wait until both streams play, then take two samples of the stats some seconds apart.
            var first = await PollAsync(browser, s => s.Video.FramesDecoded >= 10 && s.Audio.TotalSamplesReceived > 0, TimeSpan.FromSeconds(40), timeout.Token);
            await Task.Delay(TimeSpan.FromSeconds(3), timeout.Token);
            var second = await ChromiumReceiver.InboundAsync(browser.Page, timeout.Token);
            output.WriteLine($"first {first}\nsecond {second}");

            var frames = second.Video.FramesDecoded - first.Video.FramesDecoded;
            Assert.True(frames >= 30, $"Chromium decoded {frames} frames of our VP8 in about 3 s (30 fps sent)");
            var samples = second.Audio.TotalSamplesReceived - first.Audio.TotalSamplesReceived;
            var real = second.Audio.RealSamples - first.Audio.RealSamples;
            Assert.True(samples >= 48_000, $"Chromium received {samples} audio samples in about 3 s (48 kHz)");
            // Concealment (Chromium inventing audio for what did not arrive in time) must not dominate.
            Assert.True(real >= samples / 2, $"{real} of {samples} samples really decoded, the rest concealed");
            Assert.True(second.Audio.TotalAudioEnergy > first.Audio.TotalAudioEnergy, "the 440 Hz sine has energy");
            // ffmpeg's sine has amplitude 1/8: Chromium's level of what it played is near 0.125 (wide bounds for concealment).
            Assert.InRange(second.Audio.AudioLevel, 0.03, 0.5);
        }
        finally
        {
            await playing.CancelAsync();
            var (sentFrames, sentPackets) = await play;
            output.WriteLine($"sent {sentFrames} frames, {sentPackets} Opus packets");
        }
    }

    [Interop.InteropFact]
    [Trait("Category", "Browser")]
    public async Task APliFromChromiumReachesReadRtcpAsyncAndAKeyframeRestoresDecoding()
    {
        // One keyframe at the start, then only delta frames: without the keyframe Chromium cannot decode and asks for one.
        var video = FfmpegFiles.Vp8(seconds: 3, keyframeEvery: 1000);
        var deltas = video with { Frames = video.Frames.Filter(f => !FfmpegFiles.IsVp8Keyframe(f.Data.Span)) };
        Assert.True(FfmpegFiles.IsVp8Keyframe(video.Frames[0].Data.Span) && deltas.Frames.Count >= 60, $"{deltas.Frames.Count} delta frames");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await using var browser = await ChromiumReceiver.OpenAsync(timeout.Token);
        var offer = await browser.OfferAsync(audio: false, video: true, timeout.Token);

        await using var pc = new PeerConnection(null, new SettingEngine { MediaEngine = OpusAndVp8 });
        await pc.SetRemoteDescriptionAsync(SessionDescription.Offer(offer));
        var track = new TrackLocalStaticSample(RtpCodecCapability.Vp8, "video", "pli");
        var sender = pc.AddTrack(track);
        await pc.SetLocalDescriptionAsync(await pc.CreateAnswerAsync());
        Assert.Contains(" nack pli\r\n", pc.LocalDescription!.Sdp);
        await pc.GatheringComplete.WaitAsync(timeout.Token);
        await browser.AnswerAsync(pc.LocalDescription!.Sdp, timeout.Token);
        await LoopbackPair.WaitForAsync(() => sender.CanSend, TimeSpan.FromSeconds(30), "connected to Chromium");

        // What the application reads from the sender: PLIs (RTCP PSFB FMT 1, RFC 4585 6.3.1) and FIRs for our SSRC.
        var plis = new ConcurrentQueue<PictureLossIndication>();
        var firs = 0;
        using var reading = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token);
        var reader = Task.Run(async () =>
        {
            try
            {
                while (true)
                    foreach (var packet in await sender.ReadRtcpAsync(reading.Token))
                        if (packet is PictureLossIndication pli) plis.Enqueue(pli);
                        else if (packet is FullIntraRequest) Interlocked.Increment(ref firs);
            }
            catch (OperationCanceledException) { }
        });
        try
        {
            int deltaFrames;
            // Delta frames only, until Chromium's PLI arrives through ReadRtcpAsync.
            using (var waiting = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token))
            {
                waiting.CancelAfter(TimeSpan.FromSeconds(40));
                deltaFrames = (await Pacer.PlayAsync(track, deltas, null, null, () => !plis.IsEmpty, waiting.Token)).Frames;
            }
            Assert.False(plis.IsEmpty, $"no PLI after {deltaFrames} delta frames ({firs} FIR)");
            Assert.Contains(plis, p => p.MediaSsrc == sender.Ssrc);
            var before = await ChromiumReceiver.InboundAsync(browser.Page, timeout.Token);
            output.WriteLine($"PLI after {deltaFrames} delta frames: {string.Join(", ", plis)}; Chromium: {before.Video}");
            Assert.Equal(0, before.Video.FramesDecoded); // nothing decodable was sent yet, so the test means what it says
            Assert.True(before.Video.PliCount >= 1, $"Chromium counts {before.Video.PliCount} PLIs sent");

            // The application answers the PLI with a keyframe (the file from its start): Chromium decodes from there.
            var decoded = 0L;
            using var polling = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token);
            polling.CancelAfter(TimeSpan.FromSeconds(40));
            var poll = Task.Run(async () =>
            {
                while (!polling.IsCancellationRequested && Interlocked.Read(ref decoded) < 30)
                {
                    var now = await ChromiumReceiver.InboundAsync(browser.Page, polling.Token);
                    Interlocked.Exchange(ref decoded, now.Video.FramesDecoded);
                    await Task.Delay(250, polling.Token);
                }
            }, polling.Token);
            var (frames, _) = await Pacer.PlayAsync(track, video, null, null, () => Interlocked.Read(ref decoded) >= 30, polling.Token);
            var after = await ChromiumReceiver.InboundAsync(browser.Page, timeout.Token);
            output.WriteLine($"after {frames} frames from the keyframe: {after.Video}");
            Assert.True(after.Video.KeyFramesDecoded >= 1, $"{after.Video.KeyFramesDecoded} keyframes decoded");
            Assert.True(after.Video.FramesDecoded >= 30, $"Chromium decoded {after.Video.FramesDecoded} frames after the keyframe");
            try { await poll; } catch (OperationCanceledException) { }
        }
        finally
        {
            await reading.CancelAsync();
            await reader;
        }
    }

    /// <summary>Polls the page's inbound stats every 250 ms until <paramref name="done"/> holds; fails after <paramref name="within"/>.</summary>
    internal static async Task<(InboundMedia Audio, InboundMedia Video)> PollAsync(
        ChromiumReceiver browser, Func<(InboundMedia Audio, InboundMedia Video), bool> done, TimeSpan within, CancellationToken cancel)
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            var stats = await ChromiumReceiver.InboundAsync(browser.Page, cancel);
            if (done(stats)) return stats;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Chromium's stats did not get there in {within}: {stats}");
            await Task.Delay(250, cancel);
        }
    }
}
