using System.Collections.Concurrent;
using Functional.WebRtc.Core.Rtp;
using Functional.WebRtc.Tests.Connection;

namespace Functional.WebRtc.Tests.Media;

/// <summary>
/// Packets recovered from RTX (RFC 4588) on the receive path: only a repair of a missing packet reaches the reader and the
/// reception statistics. Chromium probes bandwidth with RTX copies of packets we already have; counting them made the
/// cumulative loss in our receiver reports negative (seen in Chromium's remote-inbound-rtp packetsLost = -3).
/// </summary>
public class RtxRepairAccountingTests
{
    private static ReadOnlyMemory<byte> Packet(ushort seq, uint ts) =>
        RtpPacket.Create(96, seq, ts, 0x1234, new byte[] { 0x10, 1, 2, 3 }, marker: true).ToBytes().IfLeft(_ => throw new Exception("bad packet"));

    [Fact]
    public async Task OnlyRepairsOfMissingPacketsAreQueuedAndCounted()
    {
        var track = new TrackRemote("t", "s", MediaKind.Video, "video/VP8", 90000, 96, 0x1234, "0");
        var at = TimeSpan.FromSeconds(1);
        foreach (var (seq, ts) in new (ushort, uint)[] { (1, 0), (2, 3000), (4, 9000) })
        {
            track.Push(Packet(seq, ts).Span, at);
            at += TimeSpan.FromMilliseconds(33.3);
        }
        Assert.Equal(new ushort[] { 3 }, track.StillMissing().ToArray());
        var jitter = track.Statistics.Jitter;

        Assert.False(track.PushRepair(Packet(2, 3000).Span));     // a probe: a copy of a packet we have
        Assert.True(track.PushRepair(Packet(3, 6000).Span));      // the repair of the missing one
        Assert.False(track.PushRepair(Packet(3, 6000).Span));     // a second retransmission of it
        Assert.Empty(track.StillMissing());

        var report = track.Report(at);
        Assert.Equal(0, report.CumulativeLost);
        Assert.Equal(0, report.FractionLost);
        Assert.Equal(4, track.Statistics.Received);
        Assert.Equal(jitter, track.Statistics.Jitter);

        var read = new List<ushort>();
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        for (var i = 0; i < 4; i++) read.Add((await track.ReadPacketAsync(cancel.Token)).SequenceNumber);
        Assert.Equal(new ushort[] { 1, 2, 4, 3 }, read);
        track.End();
        await Assert.ThrowsAsync<InvalidStateException>(async () => await track.ReadPacketAsync(cancel.Token));
    }

    /// <summary>
    /// End to end over 127.0.0.1, as Chromium's probes do: the sender sends RTX copies of packets the receiver already has.
    /// The reader sees each packet once and the receiver's statistics count each once (the next report's loss is 0, not -15).
    /// </summary>
    [Fact]
    public async Task RtxCopiesOfReceivedPacketsAreNeitherReadNorCounted()
    {
        await using var pair = new LoopbackPair();
        var video = new TrackLocalStaticSample(RtpCodecCapability.Vp8, "v", "s");
        var sender = pair.Offerer.AddTrack(video);
        var remote = new TaskCompletionSource<TrackRemote>(TaskCreationOptions.RunContinuationsAsynchronously);
        pair.Answerer.OnTrack += (track, _) => remote.TrySetResult(track);
        var sent = new ConcurrentQueue<ushort>();
        sender.DropFilter = (seq, retransmission) =>
        {
            if (!retransmission) sent.Enqueue(seq);
            return false;
        };
        await pair.ConnectAsync(TimeSpan.FromSeconds(20));
        await LoopbackPair.WaitForAsync(() => sender.CanSend, TimeSpan.FromSeconds(20), "the sender can send");
        Assert.Equal((byte)97, sender.RtxPayloadType);

        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        for (var i = 0; i < 5; i++) video.WriteSample(Frame(i), TimeSpan.FromMilliseconds(33));
        var track = await remote.Task.WaitAsync(cancel.Token);
        var read = new List<ushort>();
        while (read.Count < 15) read.Add((await track.ReadPacketAsync(cancel.Token)).SequenceNumber);
        Assert.Equal(sent.Take(15), read);

        // Copies of all 15 on the RTX stream, then one new frame after them on the same path.
        sender.Retransmit(read);
        await LoopbackPair.WaitForAsync(() => sender.Retransmitted >= 15, TimeSpan.FromSeconds(20), "15 retransmissions sent");
        video.WriteSample(Frame(5), TimeSpan.FromMilliseconds(33));
        var next = await track.ReadPacketAsync(cancel.Token);
        Assert.Equal((ushort)(read[^1] + 1), next.SequenceNumber);
        for (var i = 0; i < 2; i++) await track.ReadPacketAsync(cancel.Token);
        Assert.Equal(18, track.Statistics.Received);
        Assert.Equal(0, track.Report(TimeSpan.FromSeconds(100)).CumulativeLost);
    }

    private static byte[] Frame(int index) => Enumerable.Range(0, 3000).Select(i => (byte)(index * 31 + i)).ToArray();
}
