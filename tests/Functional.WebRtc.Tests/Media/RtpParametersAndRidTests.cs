using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Text;
using Functional.WebRtc.Core.Rtp;
using Functional.WebRtc.Core.Sdp;
using Functional.WebRtc.Core.Signaling;
using Functional.WebRtc.Media;
using Functional.WebRtc.Tests.Connection;
using LanguageExt;

namespace Functional.WebRtc.Tests.Media;

/// <summary>
/// Between two of our PeerConnections over 127.0.0.1: RtpSender/RtpReceiver.GetParameters against the negotiated SDP,
/// and remote tracks told apart by rid (RFC 8852 rtp-stream-id), with an RTX stream found by repaired-rtp-stream-id.
/// </summary>
public class RtpParametersAndRidTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(10);

    private static SdpDescription Parse(SessionDescription? d) =>
        (d ?? throw new Exception("no description")).TryUnmarshal().IfLeft(e => throw new Exception(e.ToString()));

    private static async Task ConnectAsync(LoopbackPair pair, RtpSender sender)
    {
        await pair.NegotiateAsync(Limit);
        await LoopbackPair.WaitForAsync(() => pair.Offerer.ConnectionState == PeerConnectionState.Connected &&
                                              pair.Answerer.ConnectionState == PeerConnectionState.Connected, Limit, "connected");
        await LoopbackPair.WaitForAsync(() => sender.CanSend, Limit, "sender ready");
    }

    /// <summary>A bare RTP packet with room to grow for header extensions.</summary>
    private static (byte[] Buffer, int Length) Packet(byte pt, ushort seq, uint ts, uint ssrc, int payload = 100)
    {
        var buffer = new byte[12 + payload + 128];
        buffer[0] = 0x80;
        buffer[1] = pt;
        BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(2), seq);
        BinaryPrimitives.WriteUInt32BigEndian(buffer.AsSpan(4), ts);
        BinaryPrimitives.WriteUInt32BigEndian(buffer.AsSpan(8), ssrc);
        for (var i = 0; i < payload; i++) buffer[12 + i] = (byte)(seq + i);
        return (buffer, 12 + payload);
    }

    private static int Stamp(byte[] buffer, int length, int id, string value)
    {
        Assert.True(RtpExtensionStamp.TrySet(buffer, length, (byte)id, Encoding.ASCII.GetBytes(value), out var stamped));
        return stamped;
    }

    private static int ExtensionId(RtpSendParameters p, string uri) =>
        p.HeaderExtensions.Find(h => h.Uri == uri).Map(h => h.Id).IfNone(() => throw new Exception($"{uri} not negotiated"));

    [Fact]
    public async Task SenderAndReceiverParametersAreTheNegotiatedOnes()
    {
        await using var pair = new LoopbackPair();
        var track = new TrackLocalStaticSample(RtpCodecCapability.Vp8, "video-p", "stream-p");
        var sender = pair.Offerer.AddTrack(track);
        var before = sender.GetParameters();
        Assert.True(before.Codecs.IsEmpty);
        Assert.False(Assert.Single(before.Encodings).Active);

        var received = new TaskCompletionSource<RtpReceiver>(TaskCreationOptions.RunContinuationsAsynchronously);
        pair.Answerer.OnTrack += (_, receiver) => received.TrySetResult(receiver);
        await ConnectAsync(pair, sender);

        var p = sender.GetParameters();
        var offer = Parse(pair.Offerer.CurrentLocalDescription).Media.Find(m => m.Media == "video").IfNone(() => throw new Exception("no video"));
        var answer = Parse(pair.Offerer.CurrentRemoteDescription).Media.Find(m => m.Media == "video").IfNone(() => throw new Exception("no video"));

        // Encodings: the SSRCs the offer announced (a=ssrc-group:FID primary repair), the payload type the answer gave VP8.
        var fid = offer.AttributeValues("ssrc-group").Map(v => v.ToString()).Find(v => v.StartsWith("FID ", StringComparison.Ordinal))
            .Map(v => v.Split(' ')).IfNone(() => throw new Exception("no FID group"));
        var encoding = Assert.Single(p.Encodings);
        Assert.Equal(uint.Parse(fid[1]), encoding.Ssrc);
        Assert.Equal(uint.Parse(fid[2]), encoding.RtxSsrc);
        Assert.True(encoding.Active);
        var answerCodecs = Jsep.Codecs(answer, MediaKind.Video);
        var vp8 = answerCodecs.Find(c => c.Name == "VP8").IfNone(() => throw new Exception("no VP8 in the answer"));
        Assert.Equal(vp8.PayloadType, encoding.PayloadType);
        Assert.Equal(sender.PayloadType, encoding.PayloadType);

        // Codecs: exactly the answer's (the intersection), with rtpmap and fmtp as written.
        Assert.Equal(answerCodecs.Map(c => (c.PayloadType, c.MimeType, c.ClockRate, c.Fmtp)).ToArray(),
            p.Codecs.Map(c => (c.PayloadType, c.MimeType, c.ClockRate, c.SdpFmtpLine)).ToArray());
        var rtx = p.Codecs.Find(c => c.MimeType.Equals("video/rtx", StringComparison.OrdinalIgnoreCase) && c.SdpFmtpLine == $"apt={vp8.PayloadType}");
        Assert.True(rtx.IsSome);
        Assert.Equal(sender.RtxPayloadType, rtx.Map(c => c.PayloadType).IfNone(0));

        // Header extensions: the answer's extmap lines; RTCP: the CNAME of the offer's a=ssrc lines, reduced size.
        Assert.Equal(Jsep.Extmaps(answer).Map(e => (e.Uri, e.Id)).ToArray(), p.HeaderExtensions.Map(h => (h.Uri, h.Id)).ToArray());
        Assert.Contains(p.HeaderExtensions, h => h.Uri == MediaEngine.RidUri);
        var cname = offer.AttributeValues("ssrc").Map(v => v.ToString()).Find(v => v.Contains(" cname:")).Map(v => v[(v.IndexOf(" cname:") + 7)..]);
        Assert.Equal(cname.IfNone("?"), p.Rtcp.Cname);
        Assert.True(p.Rtcp.ReducedSize);

        // The receiver of that stream sees the same SSRC, payload type, codecs and extensions.
        for (var i = 0; i < 30 && !received.Task.IsCompleted; i++)
        {
            track.WriteSample(new byte[] { (byte)i, 1, 2, 3, 4, 5, 6, 7 }, TimeSpan.FromMilliseconds(33));
            await Task.Delay(20);
        }
        var receiver = await received.Task.WaitAsync(Limit);
        var r = receiver.GetParameters();
        var remote = Assert.Single(r.Encodings);
        Assert.Equal(encoding.Ssrc, remote.Ssrc);
        Assert.Equal(encoding.RtxSsrc, remote.RtxSsrc);
        Assert.Equal(encoding.PayloadType, remote.PayloadType);
        Assert.Null(remote.Rid);
        Assert.Equal(p.Codecs, r.Codecs);
        Assert.Equal(p.HeaderExtensions, r.HeaderExtensions);
        Assert.Equal(p.Rtcp.Cname, r.Rtcp.Cname);
    }

    [Fact]
    public async Task RidStampedOnTheSendersPacketsIsTheRemoteTracksRid()
    {
        await using var pair = new LoopbackPair();
        var track = new TrackLocalStaticRtp(RtpCodecCapability.Vp8, "video-r", "stream-r");
        var sender = pair.Offerer.AddTrack(track);
        var tracks = new ConcurrentQueue<TrackRemote>();
        pair.Answerer.OnTrack += (t, _) => tracks.Enqueue(t);
        await ConnectAsync(pair, sender);

        var p = sender.GetParameters();
        var ridId = ExtensionId(p, MediaEngine.RidUri);
        for (ushort seq = 1; seq <= 30 && tracks.IsEmpty; seq++)
        {
            var (buffer, length) = Packet(96, seq, seq * 3000u, 1234);
            length = Stamp(buffer, length, ridId, "hi");
            track.WriteRtp(buffer.AsSpan(0, length));
            await Task.Delay(20);
        }
        await LoopbackPair.WaitForAsync(() => !tracks.IsEmpty, Limit, "OnTrack");
        var remote = Assert.Single(tracks);
        Assert.Equal("hi", remote.Rid);
        Assert.Equal(sender.Ssrc, remote.Ssrc);
        Assert.Equal("hi", Assert.Single(pair.Answerer.GetReceivers()).GetParameters().Encodings[0].Rid);
    }

    [Fact]
    public async Task EachRidOfASectionIsItsOwnTrackAndRepairedRidFindsItsRtxStream()
    {
        await using var pair = new LoopbackPair();
        var track = new TrackLocalStaticRtp(RtpCodecCapability.Vp8, "video-s", "stream-s");
        var sender = pair.Offerer.AddTrack(track);
        var tracks = new ConcurrentDictionary<string, TrackRemote>();
        var onTrack = 0;
        pair.Answerer.OnTrack += (t, _) => { Interlocked.Increment(ref onTrack); tracks[t.Rid ?? "(none)"] = t; };
        await ConnectAsync(pair, sender);

        var p = sender.GetParameters();
        var (midId, ridId, repairedId) = (ExtensionId(p, MediaEngine.MidUri), ExtensionId(p, MediaEngine.RidUri), ExtensionId(p, MediaEngine.RepairedRidUri));
        var pt = (byte)p.Encodings[0].PayloadType!;
        var rtxPt = p.Codecs.Find(c => c.SdpFmtpLine == $"apt={pt}").Map(c => c.PayloadType).IfNone(() => throw new Exception("no RTX"));
        var mid = sender.Transceiver.Mid!;
        // Three simulcast layers on SSRCs the SDP does not announce, as a browser sends them (RFC 8853): mid and rid on each.
        var layers = new (string Rid, uint Ssrc)[] { ("q", 0x1111), ("h", 0x2222), ("f", 0x3333) };

        void SendRaw(byte[] buffer, int length) => Assert.True(pair.Offerer.SendSrtp(buffer, length, rtcp: false));
        for (ushort seq = 100; seq <= 104; seq++)
        {
            foreach (var (rid, ssrc) in layers)
            {
                if (rid == "f" && seq == 102) continue; // lost: the RTX stream below repairs it
                var (buffer, length) = Packet(pt, seq, seq * 3000u, ssrc);
                length = Stamp(buffer, length, midId, mid);
                length = Stamp(buffer, length, ridId, rid);
                SendRaw(buffer, length);
            }
            await Task.Delay(10);
        }
        await LoopbackPair.WaitForAsync(() => tracks.Count == 3, Limit, () => $"3 tracks, have {string.Join(",", tracks.Keys)}");

        // The repair of layer f's packet 102, on its own SSRC, naming f in repaired-rtp-stream-id (RFC 8852 3.2).
        var (lost, lostLength) = Packet(pt, 102, 102 * 3000u, 0x3333);
        var rtx = new byte[lostLength + 128];
        var rtxLength = RtxFormat.Wrap(lost.AsSpan(0, lostLength), rtx, 0x4444, rtxPt, 7);
        Assert.True(rtxLength > 0);
        rtxLength = Stamp(rtx, rtxLength, midId, mid);
        rtxLength = Stamp(rtx, rtxLength, repairedId, "f");
        SendRaw(rtx, rtxLength);

        var f = tracks["f"];
        var seqs = new List<ushort>();
        using var cancel = new CancellationTokenSource(Limit);
        while (seqs.Count < 5)
        {
            var packet = await f.ReadRtpAsync(cancel.Token);
            seqs.Add(BinaryPrimitives.ReadUInt16BigEndian(packet.Span[2..]));
            Assert.Equal(0x3333u, BinaryPrimitives.ReadUInt32BigEndian(packet.Span[8..]));
            Assert.Equal(pt, (byte)(packet.Span[1] & 0x7F));
        }
        Assert.Equal(new ushort[] { 100, 101, 102, 103, 104 }, seqs.Order().ToArray());
        Assert.Equal(0x4444u, f.RepairSsrc);
        Assert.Equal(3, Volatile.Read(ref onTrack)); // the RTX stream made no track of its own
        Assert.Equal(new[] { 0x1111u, 0x2222u, 0x3333u }, new[] { tracks["q"].Ssrc, tracks["h"].Ssrc, tracks["f"].Ssrc });
        Assert.All(tracks.Values, t => Assert.Equal(mid, t.Mid));
    }
}
