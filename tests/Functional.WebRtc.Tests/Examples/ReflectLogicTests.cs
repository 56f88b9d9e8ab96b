using System.Collections.Concurrent;
using Functional.WebRtc.Core.Media;
using Functional.WebRtc.Core.Rtp;
using Functional.WebRtc.Tests.Connection;
using Functional.WebRtc.Tests.Media;
using Reflect;

namespace Functional.WebRtc.Tests.Examples;

/// <summary>
/// The reflect example's logic (<see cref="ReflectExample.Attach"/>) between two of our PeerConnections on 127.0.0.1,
/// one playing the browser: what comes back is the frames sent, byte for byte, and a PLI for the reflected stream is
/// forwarded upstream to the sender of the original. Deterministic where the browser test can only hope Chromium asks.
/// </summary>
public class ReflectLogicTests
{
    [Fact]
    public async Task TheFramesComeBackAsSentAndAPliForTheReflectedStreamReachesTheOriginalSender()
    {
        var file = FfmpegFiles.Vp8(seconds: 2);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await using var page = new PeerConnection();
        await using var reflector = new PeerConnection();

        // The "page": sends the file as its camera and rebuilds the frames that come back.
        var camera = new TrackLocalStaticSample(RtpCodecCapability.Vp8, "camera", "page");
        var cameraSender = page.AddTrack(camera);
        var back = new ConcurrentQueue<byte[]>();
        TrackRemote? reflected = null;
        page.OnTrack += (track, receiver) =>
        {
            Volatile.Write(ref reflected, track);
            _ = Task.Run(async () =>
            {
                var builder = SampleBuilderState.Create(Vp8Depacketizer.Instance);
                try
                {
                    while (true)
                    {
                        var step = SampleBuilder.Push(builder, await track.ReadPacketAsync(timeout.Token));
                        builder = step.State;
                        foreach (var frame in step.Outputs) back.Enqueue(frame.Data.ToArray());
                    }
                }
                catch (Exception e) when (e is InvalidStateException or OperationCanceledException) { }
            });
        };

        await page.SetLocalDescriptionAsync(await page.CreateOfferAsync());
        await page.GatheringComplete.WaitAsync(timeout.Token);
        await reflector.SetRemoteDescriptionAsync(page.LocalDescription!);
        var output = new TrackLocalStaticRtp(RtpCodecCapability.Vp8, "video", "reflect");
        var sender = reflector.AddTrack(output);
        var counters = new ReflectCounters();
        ReflectExample.Attach(reflector, output, sender, TextWriter.Null, counters, timeout.Token);
        await reflector.SetLocalDescriptionAsync(await reflector.CreateAnswerAsync());
        await reflector.GatheringComplete.WaitAsync(timeout.Token);
        await page.SetRemoteDescriptionAsync(reflector.LocalDescription!);
        await LoopbackPair.WaitForAsync(() => cameraSender.CanSend && sender.CanSend &&
            page.ConnectionState == PeerConnectionState.Connected && reflector.ConnectionState == PeerConnectionState.Connected,
            TimeSpan.FromSeconds(30), "both sides connected");

        // Every frame, paced: the reflected frames are the file's frames, in order.
        var tick = TimeSpan.FromSeconds(1.0 / 30);
        foreach (var frame in file.Frames)
        {
            camera.WriteSample(frame.Data.Span, tick);
            await Task.Delay(5, timeout.Token);
        }
        await LoopbackPair.WaitForAsync(() => back.Count >= file.Frames.Count, TimeSpan.FromSeconds(30),
            () => $"{file.Frames.Count} frames back (have {back.Count})");
        Assert.Equal(file.Frames.Map(f => f.Data.ToArray()), back.ToArray());
        var source = Volatile.Read(ref reflected)!;
        Assert.Equal(sender.Ssrc, source.Ssrc); // the reflector's own SSRC, not the camera's
        Assert.NotEqual(cameraSender.Ssrc, source.Ssrc);
        // The example counts a packet after writing it: the count may trail the last frame by a moment.
        await LoopbackPair.WaitForAsync(() => counters.PacketsReflected >= file.Frames.Count, TimeSpan.FromSeconds(10), "the reflected packets counted");

        // The page's receiver asks for a keyframe of the reflected stream; the camera's sender is asked in turn.
        var before = counters.KeyframeRequestsForwarded;
        page.WriteRtcp(new PictureLossIndication(1, source.Ssrc));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        PictureLossIndication? upstream = null;
        while (upstream is null && DateTime.UtcNow < deadline)
        {
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token);
            wait.CancelAfter(TimeSpan.FromSeconds(2));
            try { upstream = (await cameraSender.ReadRtcpAsync(wait.Token)).OfType<PictureLossIndication>().FirstOrDefault(); }
            catch (OperationCanceledException) when (!timeout.IsCancellationRequested) { page.WriteRtcp(new PictureLossIndication(1, source.Ssrc)); }
        }
        Assert.NotNull(upstream);
        Assert.Equal(cameraSender.Ssrc, upstream.MediaSsrc);
        await LoopbackPair.WaitForAsync(() => counters.KeyframeRequestsForwarded > before, TimeSpan.FromSeconds(10), "the forwarded PLI counted");
    }
}
