using System.Collections.Concurrent;
using Broadcast;
using Functional.WebRtc.Core.Rtp;
using Functional.WebRtc.Core.Signaling;
using Functional.WebRtc.Tests.Connection;
using Functional.WebRtc.Tests.Media;

namespace Functional.WebRtc.Tests.Examples;

/// <summary>
/// The broadcast example's logic (<see cref="Broadcaster"/>) between our own PeerConnections on 127.0.0.1, where the
/// browser test cannot look: a viewer joins before any publisher, a second publisher replaces the first while the
/// first keeps sending, and the viewer still sees one stream (one SSRC, sequence numbers one apart, timestamps a frame
/// apart across the switch, thanks to the RtpRewrite); the viewer's PLI reaches the current publisher's sender.
/// </summary>
public class BroadcastLogicTests
{
    private static readonly TimeSpan Tick = TimeSpan.FromSeconds(1.0 / 30); // 3000 at 90 kHz

    [Fact]
    public async Task ANewPublisherContinuesTheViewersStreamAndGetsItsKeyframeRequests()
    {
        var file = FfmpegFiles.Vp8(seconds: 1);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var counters = new BroadcastCounters();
        var hub = new Broadcaster(TextWriter.Null, counters, timeout.Token);
        var all = new List<PeerConnection>();
        try
        {
            // The viewer, first: receives video only.
            var viewer = Track(all, new PeerConnection());
            viewer.AddTransceiverFromKind(MediaKind.Video, Direction.RecvOnly);
            var received = new ConcurrentQueue<(uint Ssrc, ushort Sequence, uint Timestamp)>();
            TrackRemote? watched = null;
            viewer.OnTrack += (track, receiver) =>
            {
                Volatile.Write(ref watched, track);
                _ = Task.Run(async () =>
                {
                    var buffer = new byte[1500];
                    try
                    {
                        while (true)
                        {
                            var n = await track.ReadRtpAsync(buffer, timeout.Token);
                            if (RtpPacketView.TryParse(buffer.AsSpan(0, n), out var v, out _)) received.Enqueue((v.Ssrc, v.SequenceNumber, v.Timestamp));
                        }
                    }
                    catch (Exception e) when (e is InvalidStateException or OperationCanceledException) { }
                });
            };
            var viewerSide = await ConnectAsync(all, viewer, hub, timeout.Token);
            Assert.Equal(1, counters.Subscribers);

            // Publisher A, then B while A keeps sending: the broadcast follows B only.
            var (a, aSender) = await PublishAsync(all, hub, timeout.Token);
            var stopA = false;
            var sendA = Task.Run(() => PlayAsync(a, file, () => Volatile.Read(ref stopA), timeout.Token));
            await LoopbackPair.WaitForAsync(() => received.Count >= 20, TimeSpan.FromSeconds(10), () => $"20 packets of A (have {received.Count})");
            var fromA = received.Count;
            var (b, bSender) = await PublishAsync(all, hub, timeout.Token);
            var stopB = false;
            var sendB = Task.Run(() => PlayAsync(b, file, () => Volatile.Read(ref stopB), timeout.Token));
            await LoopbackPair.WaitForAsync(() => counters.Publishers == 2 && received.Count >= fromA + 40, TimeSpan.FromSeconds(10),
                () => $"40 more packets with B publishing (have {received.Count - fromA})");

            // The viewer's keyframe request goes to B, the current publisher.
            var source = Volatile.Read(ref watched)!;
            PictureLossIndication? upstream = null;
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            while (upstream is null && DateTime.UtcNow < deadline)
            {
                viewer.WriteRtcp(new PictureLossIndication(1, source.Ssrc));
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token);
                wait.CancelAfter(TimeSpan.FromSeconds(1));
                try
                {
                    while (upstream is null) upstream = (await bSender.ReadRtcpAsync(wait.Token)).OfType<PictureLossIndication>().FirstOrDefault();
                }
                catch (OperationCanceledException) when (!timeout.IsCancellationRequested) { }
            }
            Assert.NotNull(upstream);
            Assert.Equal(bSender.Ssrc, upstream.MediaSsrc);
            Volatile.Write(ref stopA, true);
            Volatile.Write(ref stopB, true);
            await Task.WhenAll(sendA, sendB).WaitAsync(TimeSpan.FromSeconds(5));
            _ = aSender;

            // One stream: one SSRC (the viewer's sender's), each packet one after the other, a frame's time between frames,
            // across the switch from A to B too (A's and B's own numbers are unrelated: random starts).
            var packets = received.ToArray();
            Assert.All(packets, p => Assert.Equal(viewerSide.Ssrc, p.Ssrc));
            var ordered = packets.OrderBy(p => (ushort)(p.Sequence - packets[0].Sequence)).ToArray();
            for (var i = 1; i < ordered.Length; i++)
            {
                Assert.Equal((ushort)(ordered[i - 1].Sequence + 1), ordered[i].Sequence);
                var step = unchecked(ordered[i].Timestamp - ordered[i - 1].Timestamp);
                // A frame lasts 1/30 s, 3000 at 90 kHz (the packetizer rounds the durations' ticks: 2999 or 3000).
                Assert.True(step is 0 or 2999 or 3000, $"timestamp step {step} at packet {i} of {ordered.Length}");
            }
            Assert.True(counters.KeyframeRequestsForwarded >= 1);
        }
        finally
        {
            await timeout.CancelAsync();
            foreach (var pc in all) await pc.CloseAsync();
        }
    }

    private static PeerConnection Track(List<PeerConnection> all, PeerConnection pc)
    {
        all.Add(pc);
        return pc;
    }

    /// <summary>A camera (our PeerConnection with a VP8 sample track) that publishes to the hub.</summary>
    private static async Task<(TrackLocalStaticSample Camera, RtpSender Sender)> PublishAsync(List<PeerConnection> all, Broadcaster hub, CancellationToken cancel)
    {
        var camera = Track(all, new PeerConnection());
        var track = new TrackLocalStaticSample(RtpCodecCapability.Vp8, "camera", "publisher");
        var sender = camera.AddTrack(track);
        await ConnectAsync(all, camera, hub, cancel);
        await LoopbackPair.WaitForAsync(() => sender.CanSend, TimeSpan.FromSeconds(10), "the camera can send");
        return (track, sender);
    }

    /// <summary>
    /// Negotiates <paramref name="peer"/> (the offerer) with a new hub-side connection that joins the hub as the example's
    /// server does (after the offer, before the answer); returns the hub's sender when it is a subscriber.
    /// </summary>
    private static async Task<RtpSender> ConnectAsync(List<PeerConnection> all, PeerConnection peer, Broadcaster hub, CancellationToken cancel)
    {
        var server = Track(all, new PeerConnection());
        await peer.SetLocalDescriptionAsync(await peer.CreateOfferAsync());
        await peer.GatheringComplete.WaitAsync(TimeSpan.FromSeconds(10), cancel);
        await server.SetRemoteDescriptionAsync(peer.LocalDescription!);
        RtpSender? sender = null;
        if (BroadcastExample.Publishes(server.RemoteDescription!)) hub.Publish(server);
        else sender = hub.Subscribe(server);
        await server.SetLocalDescriptionAsync(await server.CreateAnswerAsync());
        await server.GatheringComplete.WaitAsync(TimeSpan.FromSeconds(10), cancel);
        await peer.SetRemoteDescriptionAsync(server.LocalDescription!);
        await LoopbackPair.WaitForAsync(() => peer.ConnectionState == PeerConnectionState.Connected && server.ConnectionState == PeerConnectionState.Connected,
            TimeSpan.FromSeconds(10), "connected to the hub");
        if (sender is not null) await LoopbackPair.WaitForAsync(() => sender.CanSend, TimeSpan.FromSeconds(10), "the hub can send to the viewer");
        return sender ?? null!;
    }

    /// <summary>The file's frames, looping, a frame every 10 ms (faster than real time, fine for forwarding) until told to stop.</summary>
    private static async Task PlayAsync(TrackLocalStaticSample camera, Functional.WebRtc.Core.Media.IvfFile file, Func<bool> stop, CancellationToken cancel)
    {
        for (var i = 0; i < 3000 && !stop() && !cancel.IsCancellationRequested; i++)
        {
            camera.WriteSample(file.Frames[i % file.Frames.Count].Data.Span, Tick);
            try { await Task.Delay(10, cancel); }
            catch (OperationCanceledException) { return; }
        }
    }
}
