using System.Collections.Concurrent;
using Functional.WebRtc.Core.Rtp;
using Functional.WebRtc.Tests.Connection;

namespace Functional.WebRtc.Tests.Media;

/// <summary>
/// Transport-wide congestion control feedback and the RTP entries of getStats between two PeerConnections over 127.0.0.1.
/// </summary>
public class TwccAndRtpStatsTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(20);
    private const byte TransportCcId = 3; // the id the default MediaEngine offers (and Chromium uses)

    private static async Task ConnectAsync(LoopbackPair pair, params RtpSender[] senders)
    {
        await pair.NegotiateAsync(Limit);
        await pair.WaitConnectedAsync(Limit);
        await LoopbackPair.WaitForAsync(() => senders.All(s => s.CanSend), Limit, "senders ready");
    }

    private static byte[] Frame(int i, int size)
    {
        var f = new byte[size];
        for (var k = 0; k < f.Length; k++) f[k] = (byte)(i + k);
        return f;
    }

    /// <summary>Writes media until cancelled: a 3000-byte video frame (3 packets) every 20 ms and an audio frame.</summary>
    private static async Task PumpAsync(TrackLocalStaticSample video, TrackLocalStaticSample? audio, CancellationToken stop)
    {
        for (var i = 0; i < 3000 && !stop.IsCancellationRequested; i++)
        {
            video.WriteSample(Frame(i, 3000), TimeSpan.FromMilliseconds(20));
            audio?.WriteSample(Frame(i, 80), TimeSpan.FromMilliseconds(20));
            try { await Task.Delay(20, stop); } catch (OperationCanceledException) { break; }
        }
    }

    [Fact]
    public async Task TheReceiversTransportFeedbackReachesTheSenderAndCoversWhatWasSent()
    {
        await using var pair = new LoopbackPair();
        var video = new TrackLocalStaticSample(RtpCodecCapability.Vp8, "video", "s");
        var sender = pair.Offerer.AddTrack(video);
        var stamped = new ConcurrentDictionary<ushort, bool>();
        pair.Answerer.OnTrack += (track, receiver) => _ = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    var p = await track.ReadPacketAsync();
                    foreach (var seq in p.GetTransportSequenceNumber(TransportCcId)) stamped[seq] = true;
                }
            }
            catch (InvalidStateException) { }
        });
        var reported = new ConcurrentDictionary<ushort, bool>();
        var feedbackPackets = 0;
        _ = Task.Run(async () =>
        {
            try
            {
                while (true)
                    foreach (var f in (await sender.ReadRtcpAsync()).OfType<TransportCcFeedback>())
                    {
                        Interlocked.Increment(ref feedbackPackets);
                        foreach (var st in f.PacketStatuses()) if (st.Arrival.IsSome) reported[st.SequenceNumber] = true;
                    }
            }
            catch (InvalidStateException) { }
        });
        await ConnectAsync(pair, sender);

        for (var i = 0; i < 30; i++) video.WriteSample(Frame(i, 3000), TimeSpan.FromMilliseconds(33));
        await LoopbackPair.WaitForAsync(() => stamped.Count >= 90, Limit, () => $"90 stamped packets at the answerer (have {stamped.Count})");
        // Every packet the answerer received carries a transport sequence number, and the feedback reports each as received.
        await LoopbackPair.WaitForAsync(() => stamped.Keys.All(reported.ContainsKey), Limit,
            () => $"feedback covering {stamped.Count} sent numbers (reported {reported.Count} in {feedbackPackets} feedback packets)");
        Assert.All(reported.Keys, seq => Assert.True(stamped.ContainsKey(seq), $"reported {seq} that was never received"));
        var (sent, _) = pair.Answerer.TransportCcFeedbackCounts;
        var (_, received) = pair.Offerer.TransportCcFeedbackCounts;
        Assert.True(sent > 0 && received > 0 && received <= sent, $"feedback sent {sent}, received {received}");

        // Close releases the feedback timer: no feedback goes out afterwards, even as packets keep coming.
        await pair.Answerer.CloseAsync();
        var atClose = pair.Answerer.TransportCcFeedbackCounts.Sent;
        for (var i = 0; i < 10; i++) video.WriteSample(Frame(i, 3000), TimeSpan.FromMilliseconds(33));
        await Task.Delay(400);
        Assert.Equal(atClose, pair.Answerer.TransportCcFeedbackCounts.Sent);
    }

    [Fact]
    public async Task StatsLinkCodecsAndReportRemoteInboundWithARoundTripTimeThatGrows()
    {
        await using var pair = new LoopbackPair();
        var video = new TrackLocalStaticSample(RtpCodecCapability.Vp8, "video", "s");
        var audio = new TrackLocalStaticSample(RtpCodecCapability.Opus, "audio", "s");
        var senders = new[] { pair.Offerer.AddTrack(video), pair.Offerer.AddTrack(audio) };
        var tracks = 0;
        pair.Answerer.OnTrack += (track, receiver) =>
        {
            Interlocked.Increment(ref tracks);
            _ = Task.Run(async () => { try { while (true) await track.ReadRtpAsync(); } catch (InvalidStateException) { } });
        };
        await ConnectAsync(pair, senders);
        using var stop = new CancellationTokenSource();
        var pump = PumpAsync(video, audio, stop.Token);
        try
        {
            IReadOnlyList<RtcStats> offerer = [];
            // Reports go every second: a receiver report carries LSR once a sender report arrived, so about 2 s.
            await LoopbackPair.WaitForAsync(() =>
            {
                offerer = pair.Offerer.GetStats();
                return offerer.Count(s => s.Type == "remote-inbound-rtp" && s["roundTripTime"] is double rtt && rtt > 0) == 2;
            }, Limit, () => "remote-inbound-rtp with a round-trip time for both streams: " + string.Join(", ", offerer.Where(s => s.Type == "remote-inbound-rtp").Select(s => s["roundTripTime"])));
            IReadOnlyList<RtcStats> answerer = [];
            await LoopbackPair.WaitForAsync(() =>
            {
                answerer = pair.Answerer.GetStats();
                return answerer.Count(s => s.Type == "inbound-rtp" && s["remoteId"] is not null) == 2;
            }, Limit, "inbound-rtp linked to remote-outbound-rtp");

            RtcStats ById(IReadOnlyList<RtcStats> all, object? id) => Assert.Single(all, s => s.Id == (string)id!);
            foreach (var outbound in offerer.Where(s => s.Type == "outbound-rtp"))
            {
                var codec = ById(offerer, outbound["codecId"]);
                Assert.Equal("codec", codec.Type);
                Assert.Equal("T01", codec["transportId"]);
                var isVideo = (string)outbound["kind"]! == "video";
                Assert.Equal(isVideo ? "video/VP8" : "audio/opus", (string)codec["mimeType"]!, ignoreCase: true);
                Assert.Equal(isVideo ? 90000 : 48000, codec["clockRate"]);
                Assert.Equal(isVideo ? 96 : 111, codec["payloadType"]);
                if (!isVideo)
                {
                    Assert.Equal(2, codec["channels"]);
                    Assert.Contains("useinbandfec=1", (string)codec["sdpFmtpLine"]!);
                }
                Assert.True((long)outbound["headerBytesSent"]! >= 12 * (long)outbound["packetsSent"]!);
                var remote = ById(offerer, outbound["remoteId"]);
                Assert.Equal("remote-inbound-rtp", remote.Type);
                Assert.Equal(outbound.Id, remote["localId"]);
                Assert.Equal(outbound["ssrc"], remote["ssrc"]);
                Assert.Equal(outbound["kind"], remote["kind"]);
                Assert.InRange((double)remote["roundTripTime"]!, 1e-6, 5.0);
                Assert.True((long)remote["roundTripTimeMeasurements"]! >= 1);
                Assert.True((double)remote["totalRoundTripTime"]! >= (double)remote["roundTripTime"]!);
                Assert.Equal(0L, remote["packetsLost"]);
            }
            foreach (var inbound in answerer.Where(s => s.Type == "inbound-rtp"))
            {
                var codec = ById(answerer, inbound["codecId"]);
                Assert.Equal("codec", codec.Type);
                Assert.Equal(inbound["kind"], ((string)codec["mimeType"]!).Split('/')[0]);
                Assert.True((long)inbound["bytesReceived"]! > 0);
                Assert.True((long)inbound["headerBytesReceived"]! >= 12 * (long)inbound["packetsReceived"]!);
                Assert.True((double)inbound["lastPacketReceivedTimestamp"]! > 0);
                Assert.True((double)inbound["jitter"]! >= 0);
                var remote = ById(answerer, inbound["remoteId"]);
                Assert.Equal("remote-outbound-rtp", remote.Type);
                Assert.Equal(inbound.Id, remote["localId"]);
                Assert.True((long)remote["packetsSent"]! > 0);
            }

            // The counters grow while media flows.
            long Sum(IReadOnlyList<RtcStats> all, string type, string member) => all.Where(s => s.Type == type).Sum(s => Convert.ToInt64(s[member]));
            var before = (Sum(offerer, "outbound-rtp", "packetsSent"), Sum(answerer, "inbound-rtp", "bytesReceived"), Sum(offerer, "remote-inbound-rtp", "roundTripTimeMeasurements"));
            await LoopbackPair.WaitForAsync(() =>
            {
                var o = pair.Offerer.GetStats();
                var a = pair.Answerer.GetStats();
                return Sum(o, "outbound-rtp", "packetsSent") > before.Item1 && Sum(a, "inbound-rtp", "bytesReceived") > before.Item2
                       && Sum(o, "remote-inbound-rtp", "roundTripTimeMeasurements") > before.Item3;
            }, Limit, "stats that grow");
        }
        finally
        {
            stop.Cancel();
            await pump;
        }
    }
}
