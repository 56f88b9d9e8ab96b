using System.Net;
using System.Net.Sockets;
using Functional.WebRtc.Core.Rtp;
using Functional.WebRtc.Tests.Connection;

namespace Functional.WebRtc.Tests.Media;

/// <summary>
/// The media packet path of the shell as an SFU uses it: garbage SRTP/SRTCP from anyone on the path is dropped while the
/// connection stays up and media keeps flowing, the send path and the buffer-reading receive API allocate nothing per
/// packet, and a packet forwarded from one connection's track to another's arrives rewritten.
/// </summary>
public class ForwardingPathTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(10);

    private static async Task<(LoopbackPair Pair, TrackLocalStaticRtp Track, RtpSender Sender)> ConnectWithRawTrackAsync()
    {
        var pair = new LoopbackPair();
        var track = new TrackLocalStaticRtp(RtpCodecCapability.Vp8, "raw", "s");
        var sender = pair.Offerer.AddTrack(track);
        await pair.ConnectAsync(Limit);
        await LoopbackPair.WaitForAsync(() => sender.CanSend, Limit, "sender ready");
        return (pair, track, sender);
    }

    private static byte[] Packet(ushort seq, int payloadLength = 100)
    {
        var payload = new byte[payloadLength];
        payload[0] = 0x10; // VP8 descriptor S=1
        for (var i = 1; i < payload.Length; i++) payload[i] = (byte)(seq + i);
        return RtpPacket.Create(96, seq, seq * 3000u, 0x1234, payload, marker: true).ToBytes().IfLeft(_ => throw new InvalidOperationException());
    }

    /// <summary>The local address of the selected pair of <paramref name="pc"/>, which must be on 127.0.0.1.</summary>
    private static IPEndPoint SelectedLocal(PeerConnection pc)
    {
        var local = pc.SelectedCandidatePair?.Local ?? throw new InvalidOperationException("no selected pair");
        var fields = local.Split(' ');
        var address = IPAddress.Parse(fields[4]);
        Assert.Equal(IPAddress.Loopback, address); // network safety: only ever send to 127.0.0.1
        return new IPEndPoint(address, int.Parse(fields[5]));
    }

    /// <summary>Garbage a stranger could send: RTP/RTCP-looking headers with random bodies, truncations, random first bytes.</summary>
    private static IEnumerable<byte[]> Garbage(int count, int seed, uint knownSsrc)
    {
        var random = new Random(seed);
        for (var i = 0; i < count; i++)
        {
            var bytes = new byte[random.Next(0, 1300)];
            random.NextBytes(bytes);
            switch (i % 6)
            {
                case 0 when bytes.Length >= 12: // SRTP-looking: version 2, a video payload type, the real SSRC
                    bytes[0] = 0x80; bytes[1] = 96;
                    System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(8), knownSsrc);
                    break;
                case 1 when bytes.Length >= 8: // SRTCP-looking: SR..XR packet types
                    bytes[0] = 0x81; bytes[1] = (byte)random.Next(200, 208);
                    break;
                case 2: // the RTP/RTCP range of the first byte (RFC 7983), any length
                    if (bytes.Length > 0) bytes[0] = (byte)random.Next(128, 192);
                    break;
                case 3 when bytes.Length >= 16: // a header extension whose length runs past the end
                    bytes[0] = 0x90; bytes[1] = 96; bytes[14] = 0xFF; bytes[15] = 0xFF;
                    break;
                // 4, 5: anything (STUN-, DTLS-, TURN-looking or nothing at all)
            }
            yield return bytes;
        }
    }

    [Fact]
    public async Task GarbageSrtpAndSrtcpAreDroppedAndMediaKeepsFlowing()
    {
        var (pair, track, sender) = await ConnectWithRawTrackAsync();
        await using var owned = pair;
        var delivered = new List<ushort>();
        var ontrack = new TaskCompletionSource<TrackRemote>(TaskCreationOptions.RunContinuationsAsynchronously);
        pair.Answerer.OnTrack += (t, r) => ontrack.TrySetResult(t);
        track.WriteRtp(Packet(1));
        var remote = await ontrack.Task.WaitAsync(Limit);
        var target = SelectedLocal(pair.Answerer);
        var rejectedBefore = pair.Answerer.SrtpRejected;

        using var stranger = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        stranger.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        ushort seq = 2;
        var sent = 0;
        foreach (var datagram in Garbage(3000, 7, sender.Ssrc))
        {
            stranger.SendTo(datagram, target);
            if (++sent % 100 == 0) track.WriteRtp(Packet(seq++)); // real media in between
        }
        for (var i = 0; i < 20; i++) track.WriteRtp(Packet(seq++));

        // Every real packet arrives (reading with the allocation-free API), in order, none of the garbage does.
        var buffer = new byte[1500];
        using var cancel = new CancellationTokenSource(Limit);
        var first = await remote.ReadRtpAsync(buffer, cancel.Token);
        delivered.Add(RtpPacketViewSeq(buffer, first));
        while (delivered[^1] != seq - 1)
        {
            var n = await remote.ReadRtpAsync(buffer, cancel.Token);
            Assert.True(RtpPacketView.TryParse(buffer.AsSpan(0, n), out var view, out _));
            Assert.Equal(sender.Ssrc, view.Ssrc);
            Assert.Equal(Packet(view.SequenceNumber).AsSpan(12).ToArray(), view.Payload.ToArray());
            delivered.Add(view.SequenceNumber);
        }
        Assert.Equal(Enumerable.Range(1, seq - 1).Select(i => (ushort)i), delivered);
        Assert.Equal(PeerConnectionState.Connected, pair.Answerer.ConnectionState);
        Assert.Equal(PeerConnectionState.Connected, pair.Offerer.ConnectionState);
        // Most garbage lands in the SRTP path and is refused there (too short, bad header, authentication).
        Assert.True(pair.Answerer.SrtpRejected - rejectedBefore > 1000, $"{pair.Answerer.SrtpRejected - rejectedBefore} rejected");
    }

    private static ushort RtpPacketViewSeq(byte[] buffer, int length) =>
        RtpPacketView.TryParse(buffer.AsSpan(0, length), out var v, out _) ? v.SequenceNumber : throw new InvalidOperationException("not RTP");

    [Fact]
    public async Task WriteRtpAndReadingIntoABufferAllocateNothingPerPacket()
    {
        var (pair, track, sender) = await ConnectWithRawTrackAsync();
        await using var owned = pair;
        var ontrack = new TaskCompletionSource<TrackRemote>(TaskCreationOptions.RunContinuationsAsynchronously);
        pair.Answerer.OnTrack += (t, r) => ontrack.TrySetResult(t);
        var packet = Packet(1, 1000);
        track.WriteRtp(packet);
        var remote = await ontrack.Task.WaitAsync(Limit);
        var buffer = new byte[1500];
        await remote.ReadRtpAsync(buffer);

        const int Count = 200;
        // Warm-up: tiered JIT, the pools, and the NACK history, which takes its buffers as its 512 slots first fill.
        const int WarmUp = 600;
        for (var i = 2; i <= WarmUp; i++)
        {
            packet[2] = (byte)(i >> 8);
            packet[3] = (byte)i;
            track.WriteRtp(packet);
            if (i % 100 == 0) while (remote.TryReadRtp(buffer, out _)) { }
        }
        await LoopbackPair.WaitForAsync(() => remote.Statistics.Received >= WarmUp, Limit, "warm-up packets");
        while (remote.TryReadRtp(buffer, out _)) { }
        // Up to three rounds of Count sends: an allocation per packet shows in every round, while a one-time lazy
        // allocation that contention under a loaded machine can trigger (e.g. a lock's first wait) shows in one at most.
        long sendBytes = long.MaxValue;
        var sent = WarmUp;
        for (var round = 0; round < 3 && sendBytes > 0; round++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < Count; i++)
            {
                var seq = (ushort)(sent + 1 + i);
                packet[2] = (byte)(seq >> 8);
                packet[3] = (byte)seq;
                track.WriteRtp(packet);
            }
            sendBytes = Math.Min(sendBytes, GC.GetAllocatedBytesForCurrentThread() - before);
            sent += Count;
            var expected = sent;
            await LoopbackPair.WaitForAsync(() => remote.Statistics.Received >= expected, Limit, "every packet queued");
            if (sendBytes > 0) while (remote.TryReadRtp(buffer, out _)) { } // keep the last round's Count packets queued
        }

        // Queued packets are read synchronously: what the read allocates is all on this thread. The first read on this
        // thread (after the awaits above it may be another one) is not counted: it sets up the pool's per-thread cache.
        packet[2] = (byte)((sent + 1) >> 8);
        packet[3] = unchecked((byte)(sent + 1));
        track.WriteRtp(packet);
        await LoopbackPair.WaitForAsync(() => remote.Statistics.Received >= sent + 1, Limit, "one more packet queued");
        // Its length is every packet's length as received (the sender may stamp header extensions, e.g. transport-cc).
        Assert.True(remote.TryReadRtp(buffer, out var receivedLength));
        var readBefore = GC.GetAllocatedBytesForCurrentThread();
        var read = 0;
        for (var i = 0; i < Count; i++)
        {
            var pending = remote.ReadRtpAsync(buffer);
            Assert.True(pending.IsCompletedSuccessfully);
            read += await pending;
        }
        var readBytes = GC.GetAllocatedBytesForCurrentThread() - readBefore;
        Assert.Equal(Count * receivedLength, read);
        Assert.True(sendBytes == 0, $"WriteRtp allocated {sendBytes / (double)Count:F1} B per packet");
        Assert.True(readBytes == 0, $"ReadRtpAsync(buffer) allocated {readBytes / (double)Count:F1} B per packet");
        Assert.Equal((uint)(sent + 1), sender.Sent.Packets);
    }

    [Fact]
    public async Task APacketForwardedFromOneConnectionToAnotherArrivesRewritten()
    {
        var (publisher, track, _) = await ConnectWithRawTrackAsync();
        await using var p = publisher;
        await using var subscriber = new LoopbackPair();
        var forward = new TrackLocalStaticRtp(RtpCodecCapability.Vp8, "fwd", "sfu");
        var sfuSender = subscriber.Offerer.AddTrack(forward);
        await subscriber.ConnectAsync(Limit);
        await LoopbackPair.WaitForAsync(() => sfuSender.CanSend, Limit, "SFU sender ready");

        var incoming = new TaskCompletionSource<TrackRemote>(TaskCreationOptions.RunContinuationsAsynchronously);
        publisher.Answerer.OnTrack += (t, r) => incoming.TrySetResult(t);
        var outgoing = new TaskCompletionSource<TrackRemote>(TaskCreationOptions.RunContinuationsAsynchronously);
        subscriber.Answerer.OnTrack += (t, r) => outgoing.TrySetResult(t);
        for (ushort i = 1; i <= 10; i++) track.WriteRtp(Packet(i));

        var sfuIn = await incoming.Task.WaitAsync(Limit);
        using var cancel = new CancellationTokenSource(Limit);
        for (var i = 0; i < 10; i++) forward.WriteRtp((await sfuIn.ReadRtpAsync(cancel.Token)).Span);
        var end = await outgoing.Task.WaitAsync(Limit);
        for (ushort i = 1; i <= 10; i++)
        {
            var got = await end.ReadRtpAsync(cancel.Token);
            Assert.True(RtpPacketView.TryParse(got.Span, out var view, out _));
            Assert.Equal(sfuSender.Ssrc, view.Ssrc);
            Assert.Equal(sfuSender.PayloadType, view.PayloadType);
            Assert.Equal(i, view.SequenceNumber);
            Assert.Equal(Packet(i).AsSpan(12).ToArray(), view.Payload.ToArray());
        }
    }
}
