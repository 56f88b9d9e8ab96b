using System.Buffers.Binary;
using System.Collections.Concurrent;
using Functional.WebRtc.Core.Sdp;
using Functional.WebRtc.Core.Signaling;
using Functional.WebRtc.Media;
using Functional.WebRtc.Tests.Connection;
using LanguageExt;

namespace Functional.WebRtc.Tests.Media;

/// <summary>
/// Sending simulcast between two of our PeerConnections over 127.0.0.1 (RFC 8853, RFC 8851, RFC 8852): a sender with
/// rid layers (Pion's AddEncoding) offers a=rid send and a=simulcast:send, each layer goes on its own SSRC with mid and
/// rid stamped, and the answerer gets one remote track per rid with that layer's packets. SetParameters (W3C) turns a
/// layer off and on again.
/// </summary>
public class SimulcastSendTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(15);
    private static readonly string[] Rids = ["q", "h", "f"];

    private static SdpDescription Parse(SessionDescription? d) =>
        (d ?? throw new Exception("no description")).TryUnmarshal().IfLeft(e => throw new Exception(e.ToString()));

    private static MediaDescription Video(SessionDescription? d) =>
        Parse(d).Media.Find(m => m.Media == "video").IfNone(() => throw new Exception("no video section"));

    /// <summary>A sender with one TrackLocalStaticRtp per rid (same id and stream id), as Pion's simulcast sender.</summary>
    private static (RtpSender Sender, TrackLocalStaticRtp[] Layers) AddSimulcast(PeerConnection pc, params string[] rids)
    {
        var layers = rids.Select(r => new TrackLocalStaticRtp(RtpCodecCapability.Vp8, "video", "stream", r)).ToArray();
        var sender = pc.AddTrack(layers[0]);
        foreach (var layer in layers.Skip(1)) sender.AddEncoding(layer);
        return (sender, layers);
    }

    /// <summary>An RTP packet whose first payload byte says which layer wrote it.</summary>
    private static byte[] Packet(int layer, ushort seq, uint timestamp)
    {
        var p = new byte[12 + 40];
        p[0] = 0x80;
        p[1] = 96;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), seq);
        BinaryPrimitives.WriteUInt32BigEndian(p.AsSpan(4), timestamp);
        BinaryPrimitives.WriteUInt32BigEndian(p.AsSpan(8), 0xABCD);
        p[12] = (byte)(0x10 + layer);
        for (var i = 13; i < p.Length; i++) p[i] = (byte)i;
        return p;
    }

    private sealed class Received
    {
        public readonly ConcurrentDictionary<string, TrackRemote> Tracks = new();
        public readonly ConcurrentDictionary<string, ConcurrentQueue<(byte Marker, ushort Seq, uint Ssrc)>> Packets = new();
        public int OnTrack;

        public void Attach(PeerConnection pc) => pc.OnTrack += (track, receiver) =>
        {
            Interlocked.Increment(ref OnTrack);
            var rid = track.Rid ?? "(none)";
            Tracks[rid] = track;
            var queue = Packets.GetOrAdd(rid, _ => new());
            _ = Task.Run(async () =>
            {
                var buffer = new byte[1500];
                try
                {
                    while (true)
                    {
                        var n = await track.ReadRtpAsync(buffer);
                        if (RtpPacketViewOk(buffer, n, out var payload0, out var seq, out var ssrc)) queue.Enqueue((payload0, seq, ssrc));
                    }
                }
                catch (InvalidStateException) { } // ended
            });
        };

        public int Count(string rid) => Packets.TryGetValue(rid, out var q) ? q.Count : 0;
    }

    private static bool RtpPacketViewOk(byte[] buffer, int length, out byte payload0, out ushort seq, out uint ssrc)
    {
        payload0 = 0; seq = 0; ssrc = 0;
        if (!Functional.WebRtc.Core.Rtp.RtpPacketView.TryParse(buffer.AsSpan(0, length), out var view, out _) || view.Payload.IsEmpty) return false;
        (payload0, seq, ssrc) = (view.Payload[0], view.SequenceNumber, view.Ssrc);
        return true;
    }

    private static async Task ConnectAsync(LoopbackPair pair, RtpSender sender)
    {
        await pair.NegotiateAsync(Limit);
        await LoopbackPair.WaitForAsync(() => pair.Offerer.ConnectionState == PeerConnectionState.Connected &&
                                              pair.Answerer.ConnectionState == PeerConnectionState.Connected, Limit, "connected");
        await LoopbackPair.WaitForAsync(() => sender.CanSend, Limit, "sender ready");
    }

    /// <summary>Writes <paramref name="frames"/> one-packet frames on each layer, 10 ms apart.</summary>
    private static async Task WriteFramesAsync(TrackLocalStaticRtp[] layers, ushort firstSeq, int frames)
    {
        for (var i = 0; i < frames; i++)
        {
            var seq = (ushort)(firstSeq + i);
            for (var l = 0; l < layers.Length; l++) layers[l].WriteRtp(Packet(l, seq, seq * 3000u));
            await Task.Delay(10);
        }
    }

    [Fact]
    public async Task OfferListsTheLayersByRidAndTheAnswerReceivesThem()
    {
        await using var pair = new LoopbackPair();
        var (sender, _) = AddSimulcast(pair.Offerer, Rids);
        await pair.NegotiateAsync(Limit);

        var offer = Video(pair.Offerer.LocalDescription);
        Assert.Equal(Rids.Select(r => new Rid(r, RidDirection.Send)), offer.Rids());
        var simulcast = offer.GetSimulcast().IfNone(() => throw new Exception("no a=simulcast"));
        Assert.Equal(Rids, simulcast.Send.Map(s => Assert.Single(s).Id));
        Assert.True(simulcast.Receive.IsEmpty);
        Assert.False(offer.HasAttribute("ssrc")); // layers are named by rid (RFC 8853), as browsers offer
        Assert.Contains("a=simulcast:send q;h;f", pair.Offerer.LocalDescription!.Sdp);

        var answer = Video(pair.Answerer.LocalDescription);
        Assert.Equal(Rids.Select(r => new Rid(r, RidDirection.Recv)), answer.Rids());
        Assert.Equal(Rids, answer.GetSimulcast().Map(s => s.Receive.Map(x => x[0].Id).ToArray()).IfNone([]));

        // Three encodings with distinct SSRCs and RTX SSRCs, in rid order.
        var p = sender.GetParameters();
        Assert.Equal(Rids, p.Encodings.Map(e => e.Rid!));
        Assert.Equal(3, p.Encodings.Map(e => e.Ssrc).Distinct().Count());
        Assert.Equal(3, p.Encodings.Map(e => e.RtxSsrc).Distinct().Count());
        Assert.Equal(sender.Ssrc, p.Encodings[0].Ssrc);
    }

    [Fact]
    public async Task EachLayerArrivesAsATrackWithItsRidAndOnlyItsPackets()
    {
        await using var pair = new LoopbackPair();
        var (sender, layers) = AddSimulcast(pair.Offerer, Rids);
        var received = new Received();
        received.Attach(pair.Answerer);
        await ConnectAsync(pair, sender);

        await WriteFramesAsync(layers, 1000, 20);
        await LoopbackPair.WaitForAsync(() => Rids.All(r => received.Count(r) >= 20), Limit,
            () => "20 packets per layer: " + string.Join(", ", Rids.Select(r => $"{r}={received.Count(r)}")));

        var encodings = sender.GetParameters().Encodings;
        Assert.Equal(3, Volatile.Read(ref received.OnTrack)); // no track for RTX or anything else
        for (var l = 0; l < Rids.Length; l++)
        {
            var track = received.Tracks[Rids[l]];
            Assert.Equal(encodings[l].Ssrc, track.Ssrc);
            Assert.Equal(sender.Transceiver.Mid, track.Mid);
            Assert.Equal("video", track.Id);
            Assert.Equal("stream", track.StreamId);
            var packets = received.Packets[Rids[l]].ToArray();
            Assert.All(packets, x => Assert.Equal((byte)(0x10 + l), x.Marker)); // only this layer's packets
            Assert.All(packets, x => Assert.Equal(encodings[l].Ssrc, x.Ssrc));
            Assert.Equal(Enumerable.Range(1000, 20).Select(i => (ushort)i), packets.Select(x => x.Seq).Order());
            Assert.True(encodings[l].Active);
        }
        Assert.Equal(3, pair.Answerer.GetReceivers().Count);
        Assert.Equal(Rids.Order(), pair.Answerer.GetReceivers().Select(r => r.GetParameters().Encodings[0].Rid!).Order());
    }

    [Fact]
    public async Task AnInactiveLayerSendsNothingUntilActiveAgain()
    {
        await using var pair = new LoopbackPair();
        var (sender, layers) = AddSimulcast(pair.Offerer, Rids);
        var received = new Received();
        received.Attach(pair.Answerer);
        await ConnectAsync(pair, sender);
        await WriteFramesAsync(layers, 1, 10);
        await LoopbackPair.WaitForAsync(() => Rids.All(r => received.Count(r) >= 10), Limit, "10 packets per layer");

        // h off: q and f go on, h stops.
        var p = sender.GetParameters();
        sender.SetParameters(p with { Encodings = p.Encodings.Map(e => e.Rid == "h" ? e with { Active = false } : e) });
        var off = sender.GetParameters();
        Assert.Equal(new[] { true, false, true }, off.Encodings.Map(e => e.Active));
        var hBefore = received.Count("h");
        await WriteFramesAsync(layers, 11, 10);
        await LoopbackPair.WaitForAsync(() => received.Count("q") >= 20 && received.Count("f") >= 20, Limit, "q and f go on");
        await Task.Delay(100); // anything of h in flight would have arrived by now
        Assert.Equal(hBefore, received.Count("h"));
        var stats = await pair.Offerer.GetStatsAsync();
        Assert.Equal(false, stats.Single(s => s.Type == "outbound-rtp" && (string?)s["rid"] == "h")["active"]);

        // h on again: its packets arrive once more; handing back unchanged parameters leaves every layer as it is.
        sender.SetParameters(off with { Encodings = off.Encodings.Map(e => e with { Active = true }) });
        var on = sender.GetParameters();
        sender.SetParameters(on);
        Assert.All(sender.GetParameters().Encodings, e => Assert.True(e.Active));
        await WriteFramesAsync(layers, 21, 10);
        await LoopbackPair.WaitForAsync(() => received.Count("h") >= hBefore + 10, Limit, () => $"h resumed: {received.Count("h")}");
        Assert.DoesNotContain(received.Packets["h"], x => x.Seq is >= 11 and <= 20);
    }

    [Fact]
    public async Task SetParametersRejectsWhatMayNotChange()
    {
        await using var pair = new LoopbackPair();
        var (sender, _) = AddSimulcast(pair.Offerer, "lo", "hi");
        await ConnectAsync(pair, sender);

        // W3C: setParameters needs the parameters of the last getParameters.
        Assert.Throws<InvalidStateException>(() => sender.SetParameters(new RtpSendParameters(
            Arr<RtpEncodingParameters>.Empty, Arr<RtpCodecParameters>.Empty, Arr<RtpHeaderExtensionParameters>.Empty, new RtcpParameters("x", true))));
        var p = sender.GetParameters();
        Assert.Throws<InvalidModificationException>(() => sender.SetParameters(p with { Encodings = p.Encodings.Take(1).ToArr() }));
        Assert.Throws<InvalidModificationException>(() => sender.SetParameters(p with { Encodings = p.Encodings.Map(e => e with { Rid = e.Rid + "x" }) }));
        Assert.Throws<InvalidModificationException>(() => sender.SetParameters(p with { Encodings = p.Encodings.Map(e => e with { Ssrc = e.Ssrc + 2 }) }));
        Assert.Throws<InvalidModificationException>(() => sender.SetParameters(p with { Codecs = p.Codecs.Take(1).ToArr() }));
        Assert.Throws<InvalidModificationException>(() => sender.SetParameters(p with { TransactionId = "stale" }));
        Assert.Throws<RtcRangeException>(() => sender.SetParameters(p with { Encodings = p.Encodings.Map(e => e with { ScaleResolutionDownBy = 0.5 }) }));
        var older = p;
        var newer = sender.GetParameters();
        Assert.Throws<InvalidModificationException>(() => sender.SetParameters(older)); // superseded
        // maxBitrate and scaleResolutionDownBy are kept as data.
        sender.SetParameters(newer with { Encodings = newer.Encodings.Map(e => e with { MaxBitrate = 150_000, ScaleResolutionDownBy = e.Rid == "lo" ? 2.0 : 1.0 }) });
        var kept = sender.GetParameters();
        Assert.Equal(new ulong?[] { 150_000, 150_000 }, kept.Encodings.Map(e => e.MaxBitrate));
        Assert.Equal(new double?[] { 2.0, 1.0 }, kept.Encodings.Map(e => e.ScaleResolutionDownBy));
        // The layers cannot change once negotiated.
        Assert.Throws<InvalidModificationException>(() => sender.AddEncoding(new TrackLocalStaticRtp(RtpCodecCapability.Vp8, "video", "stream", "mid")));

        var last = sender.GetParameters();
        pair.Offerer.RemoveTrack(sender);
        Assert.Throws<InvalidStateException>(() => sender.SetParameters(last));
    }

    [Fact]
    public void AddEncodingChecksTheLayersTrack()
    {
        using var pc = new PeerConnection();
        var plain = pc.AddTrack(new TrackLocalStaticRtp(RtpCodecCapability.Vp8, "a", "s"));
        Assert.Throws<InvalidModificationException>(() => plain.AddEncoding(new TrackLocalStaticRtp(RtpCodecCapability.Vp8, "a", "s", "h")));
        var sender = pc.AddTrack(new TrackLocalStaticRtp(RtpCodecCapability.Vp8, "b", "s", "q"));
        Assert.Throws<InvalidModificationException>(() => sender.AddEncoding(new TrackLocalStaticRtp(RtpCodecCapability.Vp8, "b", "s")));
        Assert.Throws<InvalidModificationException>(() => sender.AddEncoding(new TrackLocalStaticRtp(RtpCodecCapability.Vp8, "b", "s", "q")));
        Assert.Throws<InvalidModificationException>(() => sender.AddEncoding(new TrackLocalStaticRtp(RtpCodecCapability.Vp8, "other", "s", "h")));
        Assert.Throws<InvalidModificationException>(() => sender.AddEncoding(new TrackLocalStaticRtp(RtpCodecCapability.H264, "b", "s", "h")));
        Assert.Throws<ArgumentException>(() => new TrackLocalStaticRtp(RtpCodecCapability.Vp8, "b", "s", "no spaces"));
        Assert.Throws<ArgumentException>(() => new TrackLocalStaticRtp(RtpCodecCapability.Vp8, "b", "s", new string('r', 17)));
        sender.AddEncoding(new TrackLocalStaticRtp(RtpCodecCapability.Vp8, "b", "s", "h"));
        Assert.Equal(new[] { "q", "h" }, sender.Rids);
        Assert.Equal(new[] { "q", "h" }, sender.GetParameters().Encodings.Map(e => e.Rid!));
        var before = sender.GetParameters();
        Assert.All(before.Encodings, e => Assert.False(e.Active)); // nothing negotiated yet
        // As in libwebrtc, parameters made before negotiation cannot be set: they lack the negotiated values.
        Assert.Throws<InvalidStateException>(() => sender.SetParameters(before with { Encodings = before.Encodings.Map(e => e with { MaxBitrate = 1000 }) }));
    }

    [Fact]
    public async Task ALostLayerPacketIsRepairedOnThatLayersRtxStream()
    {
        await using var pair = new LoopbackPair();
        var (sender, layers) = AddSimulcast(pair.Offerer, Rids);
        var dropped = 0;
        // Lose packet 5 of every layer once (the filter sees sequence numbers only, so each layer's first send of 5).
        sender.DropFilter = (seq, retransmission) => !retransmission && seq == 5 && Interlocked.Increment(ref dropped) <= 3;
        var received = new Received();
        received.Attach(pair.Answerer);
        await ConnectAsync(pair, sender);

        await WriteFramesAsync(layers, 1, 10);
        await LoopbackPair.WaitForAsync(() => Rids.All(r => received.Packets.TryGetValue(r, out var q) && q.Any(x => x.Seq == 5)), Limit,
            () => "packet 5 repaired on every layer: " + string.Join(", ", Rids.Select(r => $"{r}={received.Count(r)}")));
        Assert.True(sender.Retransmitted >= 3);
        var encodings = sender.GetParameters().Encodings;
        for (var l = 0; l < Rids.Length; l++)
        {
            var track = received.Tracks[Rids[l]];
            Assert.Equal(encodings[l].RtxSsrc, track.RepairSsrc); // found by repaired-rtp-stream-id (RFC 8852 3.2)
            var five = received.Packets[Rids[l]].Single(x => x.Seq == 5);
            Assert.Equal((byte)(0x10 + l), five.Marker);
            Assert.Equal(encodings[l].Ssrc, five.Ssrc);
        }
        Assert.Equal(3, Volatile.Read(ref received.OnTrack));
    }

    [Fact]
    public async Task StatsHaveAnOutboundRtpPerLayerAndFramesPerSecond()
    {
        await using var pair = new LoopbackPair();
        var (sender, layers) = AddSimulcast(pair.Offerer, "q", "f");
        var received = new Received();
        received.Attach(pair.Answerer);
        await ConnectAsync(pair, sender);

        // 30 frames a second for 0.6 s, two packets per frame (same timestamp) on each layer.
        var started = DateTime.UtcNow;
        for (ushort i = 0; i < 18; i++)
        {
            for (var l = 0; l < layers.Length; l++)
            {
                layers[l].WriteRtp(Packet(l, (ushort)(2 * i), i * 3000u));
                layers[l].WriteRtp(Packet(l, (ushort)(2 * i + 1), i * 3000u));
            }
            await Task.Delay(33);
        }
        await LoopbackPair.WaitForAsync(() => received.Count("q") >= 36 && received.Count("f") >= 36, Limit, "36 packets per layer");
        var elapsed = DateTime.UtcNow - started;
        var stats = await pair.Offerer.GetStatsAsync();
        var outbound = stats.Where(s => s.Type == "outbound-rtp").ToList();
        Assert.Equal(new[] { "f", "q" }, outbound.Select(s => (string)s["rid"]!).Order());
        foreach (var o in outbound)
        {
            Assert.Equal(36L, o["packetsSent"]);
            Assert.Equal(18L, o["framesSent"]);
            // Frames in the last second: the 18 sent (all within it unless the machine stalled for long).
            var fps = (double)o["framesPerSecond"]!;
            if (elapsed < TimeSpan.FromSeconds(0.9)) Assert.Equal(18.0, fps);
            else Assert.InRange(fps, 1.0, 18.0);
        }
        var inbound = (await pair.Answerer.GetStatsAsync()).Where(s => s.Type == "inbound-rtp" && s["rid"] is not null).ToList();
        Assert.Equal(2, inbound.Count);
        Assert.All(inbound, i => Assert.Equal(18L, i["framesReceived"]));
        Assert.All(inbound, i => Assert.InRange((double)i["framesPerSecond"]!, 1.0, 18.0));
    }
    [Fact]
    public async Task AnsweringASimulcastReceiveOfferSendsTheAskedLayers()
    {
        // An SFU-like offerer asks to receive two layers (a=rid recv, a=simulcast:recv, RFC 8853 5.3.1); our answerer has three.
        await using var pair = new LoopbackPair();
        pair.Offerer.AddTransceiverFromKind(MediaKind.Video, Direction.RecvOnly);
        var received = new Received();
        received.Attach(pair.Offerer);
        await pair.Offerer.SetLocalDescriptionAsync(await pair.Offerer.CreateOfferAsync());
        await pair.Offerer.GatheringComplete.WaitAsync(Limit);
        var sdp = pair.Offerer.LocalDescription!.Sdp;
        var mid = sdp.IndexOf("a=mid:", StringComparison.Ordinal);
        var lineEnd = sdp.IndexOf("\r\n", mid, StringComparison.Ordinal) + 2;
        var asking = sdp[..lineEnd] + "a=rid:f recv\r\na=rid:q recv\r\na=simulcast:recv f;q\r\n" + sdp[lineEnd..];
        await pair.Answerer.SetRemoteDescriptionAsync(SessionDescription.Offer(asking));
        var (sender, layers) = AddSimulcast(pair.Answerer, Rids);
        await pair.Answerer.SetLocalDescriptionAsync(await pair.Answerer.CreateAnswerAsync());
        await pair.Answerer.GatheringComplete.WaitAsync(Limit);
        var answer = Video(pair.Answerer.LocalDescription);
        Assert.Equal("send f;q", answer.GetSimulcast().Map(x => x.ToString()).IfNone(""));
        await pair.Offerer.SetRemoteDescriptionAsync(pair.Answerer.LocalDescription!);
        await LoopbackPair.WaitForAsync(() => sender.CanSend, Limit, "sender ready");

        Assert.Equal(new[] { true, false, true }, sender.GetParameters().Encodings.Map(e => e.Active)); // h was not asked for
        await WriteFramesAsync(layers, 1, 10);
        await LoopbackPair.WaitForAsync(() => received.Count("q") >= 10 && received.Count("f") >= 10, Limit,
            () => "q and f arrive: " + string.Join(", ", received.Packets.Select(kv => $"{kv.Key}={kv.Value.Count}")));
        Assert.Equal(new[] { "f", "q" }, received.Tracks.Keys.Order());
        Assert.All(received.Packets["q"], x => Assert.Equal((byte)0x10, x.Marker));
        Assert.All(received.Packets["f"], x => Assert.Equal((byte)0x12, x.Marker));
    }
    [Fact]
    public async Task APlainSendersOnlyEncodingPausesAndResumes()
    {
        await using var pair = new LoopbackPair();
        var track = new TrackLocalStaticRtp(RtpCodecCapability.Vp8, "plain", "stream");
        var sender = pair.Offerer.AddTrack(track);
        var received = new Received();
        received.Attach(pair.Answerer);
        await ConnectAsync(pair, sender);
        Assert.Contains("a=ssrc:", pair.Offerer.LocalDescription!.Sdp); // no simulcast: the stream is named by SSRC
        Assert.DoesNotContain("a=simulcast", pair.Offerer.LocalDescription!.Sdp);

        await WriteFramesAsync([track], 1, 5);
        await LoopbackPair.WaitForAsync(() => received.Count("(none)") >= 5, Limit, "5 packets");
        var p = sender.GetParameters();
        sender.SetParameters(p with { Encodings = p.Encodings.Map(e => e with { Active = false }) });
        Assert.False(sender.GetParameters().Encodings[0].Active);
        var sentBefore = sender.Sent.Packets;
        await WriteFramesAsync([track], 6, 5);
        Assert.Equal(sentBefore, sender.Sent.Packets); // an inactive encoding sends nothing
        var q = sender.GetParameters();
        sender.SetParameters(q with { Encodings = q.Encodings.Map(e => e with { Active = true }) });
        await WriteFramesAsync([track], 11, 5);
        await LoopbackPair.WaitForAsync(() => received.Count("(none)") >= 10, Limit, () => $"resumed: {received.Count("(none)")}");
        Assert.DoesNotContain(received.Packets["(none)"], x => x.Seq is >= 6 and <= 10);
    }
    [Fact]
    public async Task AddTransceiverWithSendEncodingsAsTheW3CHasIt()
    {
        await using var pair = new LoopbackPair();
        var free = pair.Offerer.AddTransceiverFromKind(MediaKind.Video, Direction.RecvOnly);
        var q = new TrackLocalStaticRtp(RtpCodecCapability.Vp8, "cam", "s", "q");
        var h = new TrackLocalStaticRtp(RtpCodecCapability.Vp8, "cam", "s", "h");
        var f = new TrackLocalStaticRtp(RtpCodecCapability.Vp8, "cam", "s", "f");
        var sender = pair.Offerer.AddTransceiver(q, new RtpTransceiverInit(Direction.SendOnly,
        [
            new RtpEncodingInit("q", ScaleResolutionDownBy: 4, MaxBitrate: 150_000),
            new RtpEncodingInit("h", h, Active: false, ScaleResolutionDownBy: 2),
            new RtpEncodingInit("f", f),
        ]));
        Assert.NotEqual(free, sender.Transceiver); // always a new transceiver, unlike AddTrack
        Assert.Equal(Direction.SendOnly, sender.Transceiver.Direction);
        var received = new Received();
        received.Attach(pair.Answerer);
        await ConnectAsync(pair, sender);
        var offer = pair.Offerer.LocalDescription!.Sdp;
        Assert.Contains("a=simulcast:send q;h;f", offer);
        Assert.Contains("a=sendonly", offer);

        var p = sender.GetParameters();
        Assert.Equal(new[] { true, false, true }, p.Encodings.Map(e => e.Active));
        Assert.Equal(new ulong?[] { 150_000, null, null }, p.Encodings.Map(e => e.MaxBitrate));
        Assert.Equal(new double?[] { 4, 2, null }, p.Encodings.Map(e => e.ScaleResolutionDownBy));
        await WriteFramesAsync([q, h, f], 1, 10);
        await LoopbackPair.WaitForAsync(() => received.Count("q") >= 10 && received.Count("f") >= 10, Limit, "q and f arrive");
        await Task.Delay(100);
        Assert.Equal(0, received.Count("h"));
    }

    [Fact]
    public void AddTransceiverChecksTheSendEncodings()
    {
        using var pc = new PeerConnection();
        var q = new TrackLocalStaticRtp(RtpCodecCapability.Vp8, "cam", "s", "q");
        var h = new TrackLocalStaticRtp(RtpCodecCapability.Vp8, "cam", "s", "h");
        Assert.Throws<ArgumentException>(() => pc.AddTransceiver(q, new RtpTransceiverInit(SendEncodings: [new("q"), new("h")]))); // h has no track
        Assert.Throws<ArgumentException>(() => pc.AddTransceiver(q, new RtpTransceiverInit(SendEncodings: [new("q"), new("x", h)]))); // rid differs
        Assert.Throws<RtcTypeException>(() => pc.AddTransceiver(q, new RtpTransceiverInit(SendEncodings: [new("q"), new("q", q)])));
        Assert.Throws<RtcTypeException>(() => pc.AddTransceiver(q, new RtpTransceiverInit(SendEncodings: [new("q"), new(null, h)])));
        Assert.Throws<RtcRangeException>(() => pc.AddTransceiver(q, new RtpTransceiverInit(SendEncodings: [new("q", ScaleResolutionDownBy: 0.5), new("h", h)])));
        var other = new TrackLocalStaticRtp(RtpCodecCapability.Vp8, "other", "s", "h");
        Assert.Throws<InvalidModificationException>(() => pc.AddTransceiver(q, new RtpTransceiverInit(SendEncodings: [new("q"), new("h", other)])));
        Assert.Empty(pc.GetTransceivers()); // every check comes before the transceiver is added
        pc.AddTransceiver(q);
        Assert.Throws<InvalidAccessException>(() => pc.AddTransceiver(q)); // a track is sent once
        var plain = pc.AddTransceiver(new TrackLocalStaticRtp(RtpCodecCapability.Vp8, "plain", "s"), new RtpTransceiverInit(Direction.SendOnly));
        Assert.Single(plain.GetParameters().Encodings);
        Assert.Equal(Direction.SendOnly, plain.Transceiver.Direction);
    }
    [Fact]
    public async Task WithoutTheRidExtensionOnlyTheFirstLayerIsSent()
    {
        // The answerer does not do rtp-stream-id: layers could not be told apart, so the first goes alone (as libwebrtc).
        var noRid = MediaEngine.Default with { HeaderExtensions = MediaEngine.Default.HeaderExtensions.Filter(h => h.Uri != MediaEngine.RidUri) };
        await using var pair = new LoopbackPair(answerer: new SettingEngine { MediaEngine = noRid });
        var (sender, layers) = AddSimulcast(pair.Offerer, Rids);
        var received = new Received();
        received.Attach(pair.Answerer);
        await ConnectAsync(pair, sender);
        Assert.DoesNotContain(MediaEngine.RidUri, pair.Answerer.LocalDescription!.Sdp);
        Assert.Equal(new[] { true, false, false }, sender.GetParameters().Encodings.Map(e => e.Active));

        await WriteFramesAsync(layers, 1, 10);
        await LoopbackPair.WaitForAsync(() => received.Count("(none)") >= 10, Limit, () => $"first layer: {received.Count("(none)")}");
        await Task.Delay(100);
        Assert.Equal(1, Volatile.Read(ref received.OnTrack));
        Assert.All(received.Packets["(none)"], x => Assert.Equal((byte)0x10, x.Marker));
    }
}
