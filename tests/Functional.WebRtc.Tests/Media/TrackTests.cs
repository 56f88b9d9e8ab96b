using System.Collections.Concurrent;
using Functional.WebRtc.Core.Media;
using Functional.WebRtc.Core.Rtp;
using Functional.WebRtc.Tests.Connection;

namespace Functional.WebRtc.Tests.Media;

/// <summary>Collects the frames of every remote track of a connection, rebuilt with the core's SampleBuilder.</summary>
internal sealed class Received
{
    public ConcurrentDictionary<string, (TrackRemote Track, RtpReceiver Receiver, ConcurrentQueue<byte[]> Frames)> Tracks { get; } = new();

    public Received(PeerConnection pc) => pc.OnTrack += (track, receiver) =>
    {
        var frames = new ConcurrentQueue<byte[]>();
        Tracks[track.Id] = (track, receiver, frames);
        _ = Task.Run(() => Pump(track, frames));
    };

    private static async Task Pump(TrackRemote track, ConcurrentQueue<byte[]> frames)
    {
        IRtpDepacketizer depacketizer = track.Codec.Equals("video/VP8", StringComparison.OrdinalIgnoreCase)
            ? Vp8Depacketizer.Instance : AudioDepacketizer.Instance;
        var builder = SampleBuilderState.Create(depacketizer);
        try
        {
            while (true)
            {
                var packet = await track.ReadPacketAsync();
                var step = SampleBuilder.Push(builder, packet);
                builder = step.State;
                foreach (var sample in step.Outputs) frames.Enqueue(sample.Data.ToArray());
            }
        }
        catch (InvalidStateException) { } // the track ended
    }

    public async Task<ConcurrentQueue<byte[]>> FramesOf(string trackId, int count)
    {
        await LoopbackPair.WaitForAsync(() => Tracks.TryGetValue(trackId, out var t) && t.Frames.Count >= count, TrackTests.Limit,
            $"{count} frames of {trackId} (have {(Tracks.TryGetValue(trackId, out var h) ? h.Frames.Count : -1)})");
        return Tracks[trackId].Frames;
    }
}

/// <summary>Media between two PeerConnections over 127.0.0.1: tracks each way, renegotiation, PLI, NACK repair.</summary>
public class TrackTests
{
    internal static readonly TimeSpan Limit = TimeSpan.FromSeconds(10);

    private static byte[] VideoFrame(int index, int size)
    {
        var frame = new byte[size];
        for (var i = 0; i < size; i++) frame[i] = (byte)(index * 31 + i);
        frame[0] = (byte)index; // never the VP8 "partition start" ambiguity: the payloader adds its own descriptor
        return frame;
    }

    private static byte[] AudioFrame(int index) => Enumerable.Range(0, 80).Select(i => (byte)(index + i)).ToArray();

    private static async Task ConnectAsync(LoopbackPair pair, params RtpSender[] senders)
    {
        await pair.NegotiateAsync(Limit);
        await LoopbackPair.WaitForAsync(() => pair.Offerer.ConnectionState == PeerConnectionState.Connected &&
                                              pair.Answerer.ConnectionState == PeerConnectionState.Connected, Limit, "connected");
        await LoopbackPair.WaitForAsync(() => senders.All(s => s.CanSend), Limit, "senders ready");
    }

    private static void WriteVideo(TrackLocalStaticSample track, int count, int size = 3000)
    {
        for (var i = 0; i < count; i++) track.WriteSample(VideoFrame(i, size), TimeSpan.FromMilliseconds(33));
    }

    [Fact]
    public async Task OpusAndVp8TracksEachWayArriveWithTheirKindCodecAndEveryFrame()
    {
        await using var pair = new LoopbackPair();
        var offererAudio = new TrackLocalStaticSample(RtpCodecCapability.Opus, "audio-o", "stream-o");
        var offererVideo = new TrackLocalStaticSample(RtpCodecCapability.Vp8, "video-o", "stream-o");
        var answererAudio = new TrackLocalStaticSample(RtpCodecCapability.Opus, "audio-a", "stream-a");
        var answererVideo = new TrackLocalStaticSample(RtpCodecCapability.Vp8, "video-a", "stream-a");
        var senders = new[]
        {
            pair.Offerer.AddTrack(offererAudio), pair.Offerer.AddTrack(offererVideo),
            pair.Answerer.AddTrack(answererAudio), pair.Answerer.AddTrack(answererVideo),
        };
        var atAnswerer = new Received(pair.Answerer);
        var atOfferer = new Received(pair.Offerer);
        await ConnectAsync(pair, senders);

        const int n = 25;
        foreach (var (audio, video) in new[] { (offererAudio, offererVideo), (answererAudio, answererVideo) })
            for (var i = 0; i < n; i++)
            {
                audio.WriteSample(AudioFrame(i), TimeSpan.FromMilliseconds(20));
                video.WriteSample(VideoFrame(i, 2500), TimeSpan.FromMilliseconds(33));
            }

        foreach (var (received, audioId, videoId, streamId) in new[] { (atAnswerer, "audio-o", "video-o", "stream-o"), (atOfferer, "audio-a", "video-a", "stream-a") })
        {
            var audioFrames = await received.FramesOf(audioId, n);
            var videoFrames = await received.FramesOf(videoId, n);
            var (audioTrack, _, _) = received.Tracks[audioId];
            var (videoTrack, videoReceiver, _) = received.Tracks[videoId];
            Assert.Equal(MediaKind.Audio, audioTrack.Kind);
            Assert.Equal("audio/opus", audioTrack.Codec, ignoreCase: true);
            Assert.Equal(111, audioTrack.PayloadType);
            Assert.Equal(MediaKind.Video, videoTrack.Kind);
            Assert.Equal("video/VP8", videoTrack.Codec, ignoreCase: true);
            Assert.Equal(streamId, videoTrack.StreamId);
            Assert.NotNull(videoReceiver.Transceiver);
            Assert.Equal(Enumerable.Range(0, n).Select(AudioFrame), audioFrames.ToArray());
            Assert.Equal(Enumerable.Range(0, n).Select(i => VideoFrame(i, 2500)), videoFrames.ToArray());
        }
        Assert.Equal(2, atAnswerer.Tracks.Count);
        Assert.Equal(2, atOfferer.Tracks.Count);
        // The SSRC the offerer's video sender uses is the one the answerer's track reports.
        Assert.Equal(senders[1].Ssrc, atAnswerer.Tracks["video-o"].Track.Ssrc);
    }

    [Fact]
    public async Task TrackLocalStaticRtpRewritesSsrcAndPayloadType()
    {
        await using var pair = new LoopbackPair();
        var track = new TrackLocalStaticRtp(RtpCodecCapability.Vp8, "raw", "s");
        var sender = pair.Offerer.AddTrack(track);
        var received = new Received(pair.Answerer);
        await ConnectAsync(pair, sender);
        for (ushort i = 0; i < 10; i++)
        {
            // A keyframe-less VP8 payload descriptor (S=1, PID 0) and 4 bytes; SSRC 0x1234 and payload type 33 are ours to change.
            var packet = RtpPacket.Create(33, (ushort)(1000 + i), 5000u + i * 3000u, 0x1234, new byte[] { 0x10, 1, 2, (byte)i, 4 }, marker: true);
            track.WriteRtp(packet);
        }
        var frames = await received.FramesOf("raw", 10);
        var remote = received.Tracks["raw"].Track;
        Assert.Equal(sender.Ssrc, remote.Ssrc);
        Assert.Equal(96, remote.PayloadType);
        Assert.Equal(sender.PayloadType, remote.PayloadType);
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, frames.ElementAt(3));
        Assert.Throws<ArgumentException>(() => track.WriteRtp(new byte[] { 1, 2, 3 }));
    }

    [Fact]
    public async Task WithoutSsrcLinesStreamsAreMappedByTheirMidHeaderExtension()
    {
        await using var pair = new LoopbackPair();
        var x = new TrackLocalStaticRtp(RtpCodecCapability.Vp8, "x", "s");
        var y = new TrackLocalStaticRtp(RtpCodecCapability.Vp8, "y", "s");
        var senders = new[] { pair.Offerer.AddTrack(x), pair.Offerer.AddTrack(y) };
        var received = new Received(pair.Answerer);
        // Signaling by hand, with the offer's a=ssrc and a=ssrc-group lines taken out (as a peer that sends no SSRCs).
        await pair.Offerer.SetLocalDescriptionAsync(await pair.Offerer.CreateOfferAsync());
        await pair.Offerer.GatheringComplete.WaitAsync(Limit);
        var offer = pair.Offerer.LocalDescription!;
        var munged = offer with { Sdp = string.Join("\r\n", offer.Sdp.Split("\r\n").Where(l => !l.StartsWith("a=ssrc", StringComparison.Ordinal))) };
        Assert.DoesNotContain("a=ssrc", munged.Sdp);
        await pair.Answerer.SetRemoteDescriptionAsync(munged);
        await pair.Answerer.SetLocalDescriptionAsync(await pair.Answerer.CreateAnswerAsync());
        await pair.Answerer.GatheringComplete.WaitAsync(Limit);
        await pair.Offerer.SetRemoteDescriptionAsync(pair.Answerer.LocalDescription!);
        await LoopbackPair.WaitForAsync(() => senders.All(s => s.CanSend) && pair.Answerer.ConnectionState == PeerConnectionState.Connected, Limit, "senders and receiver ready");

        var midId = (byte)Core.Signaling.MediaEngine.Default.HeaderExtensions.Find(h => h.Uri == Core.Signaling.MediaEngine.MidUri).Map(h => h.Id).IfNone(4);
        foreach (var (track, sender, tag) in new[] { (x, senders[0], (byte)1), (y, senders[1], (byte)2) })
            for (ushort i = 0; i < 5; i++)
                track.WriteRtp(RtpPacket.Create(96, (ushort)(100 + i), 9000u * i, 0, new byte[] { 0x10, tag, (byte)i }, marker: true)
                    .SetString(midId, sender.Transceiver.Mid!));
        var xFrames = await received.FramesOf("x", 5);
        var yFrames = await received.FramesOf("y", 5);
        Assert.All(xFrames, f => Assert.Equal(1, f[0]));
        Assert.All(yFrames, f => Assert.Equal(2, f[0]));
        Assert.Equal(senders[0].Transceiver.Mid, received.Tracks["x"].Track.Mid);
        Assert.Equal(senders[1].Transceiver.Mid, received.Tracks["y"].Track.Mid);
    }

    [Fact]
    public async Task RenegotiationAddsASecondVideoTrackMidCall()
    {
        await using var pair = new LoopbackPair();
        var first = new TrackLocalStaticSample(RtpCodecCapability.Vp8, "first", "s");
        var firstSender = pair.Offerer.AddTrack(first);
        var received = new Received(pair.Answerer);
        await ConnectAsync(pair, firstSender);
        WriteVideo(first, 5);
        await received.FramesOf("first", 5);

        var second = new TrackLocalStaticSample(RtpCodecCapability.Vp8, "second", "s");
        var secondSender = pair.Offerer.AddTrack(second);
        Assert.NotEqual(firstSender.Transceiver, secondSender.Transceiver);
        await pair.NegotiateAsync(Limit);
        await LoopbackPair.WaitForAsync(() => secondSender.CanSend, Limit, "second sender ready");
        WriteVideo(second, 7, 1500);
        WriteVideo(first, 3);
        var frames = await received.FramesOf("second", 7);
        await received.FramesOf("first", 8);
        Assert.Equal(Enumerable.Range(0, 7).Select(i => VideoFrame(i, 1500)), frames.ToArray());
        Assert.Equal(2, received.Tracks.Count);
        Assert.NotEqual(received.Tracks["first"].Track.Mid, received.Tracks["second"].Track.Mid);
        Assert.Equal(secondSender.Transceiver.Mid, received.Tracks["second"].Track.Mid);
    }

    [Fact]
    public async Task PliFromTheReceiverReachesTheSenderAndReportsFlowBothWays()
    {
        await using var pair = new LoopbackPair();
        var video = new TrackLocalStaticSample(RtpCodecCapability.Vp8, "v", "s");
        var sender = pair.Offerer.AddTrack(video);
        var received = new Received(pair.Answerer);
        await ConnectAsync(pair, sender);
        WriteVideo(video, 3);
        await received.FramesOf("v", 3);
        var remote = received.Tracks["v"];

        pair.Answerer.WriteRtcp(new PictureLossIndication(1, remote.Track.Ssrc));
        using var cancel = new CancellationTokenSource(Limit);
        var sawPli = false;
        var sawReport = false;
        while (!(sawPli && sawReport))
        {
            var packets = await sender.ReadRtcpAsync(cancel.Token);
            sawPli |= packets.OfType<PictureLossIndication>().Any(p => p.MediaSsrc == sender.Ssrc);
            // The receiver's periodic report (about every second) carries a block for our SSRC.
            sawReport |= packets.OfType<ReceiverReport>().Any(r => r.Reports.Exists(b => b.Ssrc == sender.Ssrc && b.CumulativeLost == 0));
            if (!sawReport && sawPli) WriteVideo(video, 1);
        }
        // The sender's report reaches the receiver's RTCP reader, with the packet count sent so far.
        var srSeen = false;
        while (!srSeen)
        {
            var packets = await remote.Receiver.ReadRtcpAsync(cancel.Token);
            srSeen = packets.OfType<SenderReport>().Any(sr => sr.Ssrc == sender.Ssrc && sr.PacketCount > 0);
        }
        Assert.True(sawPli && sawReport && srSeen);
    }

    [Fact]
    public async Task APacketDroppedOnPurposeIsRepairedByNack()
    {
        await using var pair = new LoopbackPair();
        var video = new TrackLocalStaticSample(RtpCodecCapability.Vp8, "v", "s");
        var sender = pair.Offerer.AddTrack(video);
        var received = new Received(pair.Answerer);
        await ConnectAsync(pair, sender);
        int? firstSeq = null;
        var dropped = new ConcurrentBag<ushort>();
        sender.DropFilter = (seq, retransmission) =>
        {
            if (retransmission) return false;
            firstSeq ??= seq;
            // Drop the 8th packet sent (the middle of the third frame): once only, retransmissions bypass the filter.
            if ((ushort)(seq - firstSeq.Value) != 7) return false;
            dropped.Add(seq);
            return true;
        };
        const int n = 12;
        WriteVideo(video, n); // 3000 bytes: 3 packets per frame
        var frames = await received.FramesOf("v", n);
        Assert.Single(dropped);
        Assert.True(sender.Retransmitted >= 1, "the dropped packet was sent again");
        // VP8 negotiated RTX (apt=96), so the repair came on the RTX stream and was unwrapped by the receiver.
        Assert.Equal((byte)97, sender.RtxPayloadType);
        Assert.Single(pair.Answerer.GetReceivers());
        Assert.Equal(Enumerable.Range(0, n).Select(i => VideoFrame(i, 3000)), frames.ToArray());
    }

    [Fact]
    public async Task ALostRetransmissionIsNackedAgainAtTheNextReport()
    {
        await using var pair = new LoopbackPair();
        var video = new TrackLocalStaticSample(RtpCodecCapability.Vp8, "v", "s");
        var sender = pair.Offerer.AddTrack(video);
        var received = new Received(pair.Answerer);
        await ConnectAsync(pair, sender);
        int? firstSeq = null;
        var attempts = 0;
        sender.DropFilter = (seq, retransmission) =>
        {
            firstSeq ??= seq;
            if ((ushort)(seq - firstSeq.Value) != 4) return false;
            // The original and the first retransmission are lost; the second gets through.
            return Interlocked.Increment(ref attempts) <= 2;
        };
        const int n = 6;
        WriteVideo(video, n);
        var frames = await received.FramesOf("v", n);
        Assert.True(Volatile.Read(ref attempts) >= 3, $"{attempts} attempts");
        Assert.True(sender.Retransmitted >= 1);
        Assert.Equal(Enumerable.Range(0, n).Select(i => VideoFrame(i, 3000)), frames.ToArray());
    }

    [Fact]
    public async Task AByeEndsTheRemoteTrack()
    {
        await using var pair = new LoopbackPair();
        var video = new TrackLocalStaticSample(RtpCodecCapability.Vp8, "v", "s");
        var sender = pair.Offerer.AddTrack(video);
        var received = new Received(pair.Answerer);
        await ConnectAsync(pair, sender);
        WriteVideo(video, 2);
        await received.FramesOf("v", 2);
        Assert.Single(pair.Answerer.GetReceivers());
        var receiver = received.Tracks["v"].Receiver;
        pair.Offerer.WriteRtcp(new Goodbye(LanguageExt.Prelude.Seq1(sender.Ssrc), LanguageExt.Prelude.Some("done")));
        await LoopbackPair.WaitForAsync(() => pair.Answerer.GetReceivers().Count == 0, Limit, "the receiver gone");
        using var cancel = new CancellationTokenSource(Limit);
        await Assert.ThrowsAsync<InvalidStateException>(async () => { while (true) await receiver.ReadRtcpAsync(cancel.Token); });
    }

    [Fact]
    public async Task RemoveAndReplaceTrack()
    {
        await using var pair = new LoopbackPair();
        var a = new TrackLocalStaticSample(RtpCodecCapability.Vp8, "a", "s");
        var b = new TrackLocalStaticSample(RtpCodecCapability.Vp8, "b", "s");
        var sender = pair.Offerer.AddTrack(a);
        Assert.Same(a, sender.Track);
        Assert.Throws<InvalidModificationException>(() => sender.ReplaceTrack(new TrackLocalStaticSample(RtpCodecCapability.Opus, "o", "s")));
        sender.ReplaceTrack(b);
        Assert.Same(b, sender.Track);
        Assert.Equal(0, a.BindingCount);
        Assert.Equal(1, b.BindingCount);
        Assert.Contains(sender, pair.Offerer.GetSenders());
        pair.Offerer.RemoveTrack(sender);
        Assert.Null(sender.Track);
        Assert.Empty(pair.Offerer.GetSenders());
        Assert.Equal(0, b.BindingCount);
        Assert.Null(pair.Offerer.GetTransceivers()[0].CurrentDirection);
        await Assert.ThrowsAsync<InvalidStateException>(async () => await sender.ReadRtcpAsync());
    }
}
