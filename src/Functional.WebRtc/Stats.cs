using Functional.WebRtc.Core.Dtls;
using Functional.WebRtc.Core.Ice;
using Functional.WebRtc.Core.Sctp;
using Functional.WebRtc.Core.Rtp;
using Functional.WebRtc.Core.Sdp;
using Functional.WebRtc.Core.Signaling;
using LanguageExt;

namespace Functional.WebRtc;

/// <summary>
/// One entry of a stats report (W3C RTCStats): its type ("peer-connection", "transport", "candidate-pair",
/// "local-candidate", "remote-candidate", "certificate", "data-channel", "codec", "inbound-rtp", "outbound-rtp",
/// "remote-inbound-rtp", "remote-outbound-rtp"), an id, the time
/// it was taken (milliseconds since the connection was made) and its members under their W3C names.
/// </summary>
public sealed record RtcStats(string Type, string Id, double Timestamp, IReadOnlyDictionary<string, object?> Values)
{
    public object? this[string member] => Values.TryGetValue(member, out var v) ? v : null;
}

public sealed partial class PeerConnection
{
    private sealed record StatsWork(TaskCompletionSource<IReadOnlyList<RtcStats>> Reply) : Work;

    /// <summary>A snapshot of the connection's statistics, taken on its loop (W3C getStats()).</summary>
    public async Task<IReadOnlyList<RtcStats>> GetStatsAsync()
    {
        var reply = new TaskCompletionSource<IReadOnlyList<RtcStats>>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_inbox.Writer.TryWrite(new StatsWork(reply))) return CollectStats();
        return await reply.Task.ConfigureAwait(false);
    }

    public IReadOnlyList<RtcStats> GetStats() => GetStatsAsync().GetAwaiter().GetResult();

    /// <summary>Reads loop-owned state: call on the loop (or once the loop has ended).</summary>
    private IReadOnlyList<RtcStats> CollectStats()
    {
        var at = Now.TotalMilliseconds;
        var stats = new List<RtcStats>();
        RtcStats Add(string type, string id, params (string Key, object? Value)[] values)
        {
            var s = new RtcStats(type, id, at, values.ToDictionary(v => v.Key, v => v.Value));
            stats.Add(s);
            return s;
        }
        var channels = _channels.Channels.Values.ToList();
        Add("peer-connection", "P", ("dataChannelsOpened", channels.Count(c => c.ReadyState == DataChannelReadyState.Open)),
            ("dataChannelsClosed", channels.Count(c => c.ReadyState == DataChannelReadyState.Closed)));

        var sctp = _channels.Association.Stats;
        var route = _route;
        Add("transport", "T01",
            ("iceState", IceConnectionState.ToText()), ("dtlsState", _state.Dtls.ToW3C()),
            ("iceRole", _ice is { } agent ? (agent.Controlling ? "controlling" : "controlled") : "unknown"),
            ("selectedCandidatePairId", route is null ? null : "CP"),
            ("dtlsCipher", null), ("srtpCipher", _srtp?.Profile.ToString()),
            ("packetsSent", sctp.PacketsSent), ("packetsReceived", sctp.PacketsReceived));
        var local = 0;
        foreach (var c in _localCandidates)
            Add("local-candidate", $"L{local++}", CandidateValues(c));
        if (route is not null)
        {
            var localId = Array.IndexOf(_localCandidates, route.Local) is var i and >= 0 ? $"L{i}" : "L-selected";
            if (localId == "L-selected") Add("local-candidate", localId, CandidateValues(route.Local));
            Add("remote-candidate", "R0", CandidateValues(route.RemoteCandidate));
            Add("candidate-pair", "CP", ("transportId", "T01"), ("localCandidateId", localId), ("remoteCandidateId", "R0"),
                ("state", "succeeded"), ("nominated", true));
        }
        foreach (var certificate in _configuration.Certificates)
        {
            var parts = certificate.Fingerprint.Split(' ', 2);
            Add("certificate", "C" + parts[1].Replace(":", "")[..16], ("fingerprint", parts[1]), ("fingerprintAlgorithm", parts[0]));
        }
        foreach (var c in channels)
            Add("data-channel", $"D{c.Handle}", ("label", c.Label), ("protocol", c.Protocol),
                ("dataChannelIdentifier", c.Id is { } id ? (int)id : null), ("state", c.ReadyState.ToString().ToLowerInvariant()),
                ("bufferedAmount", c.BufferedAmount));
        CollectRtpStats(Add);
        return stats;
    }

    private static (string, object?)[] CandidateValues(IceCandidate c) =>
    [
        ("transportId", "T01"), ("address", c.Address), ("port", c.Port),
        ("protocol", c.Transport == IceTransportProtocol.Udp ? "udp" : "tcp"),
        ("candidateType", IceCandidate.TypeName(c.Type)), ("priority", (long)c.Priority),
        ("foundation", c.Foundation),
    ];

    /// <summary>
    /// The RTP entries (W3C webrtc-stats): a codec per payload type in use and direction, inbound-rtp per remote stream,
    /// outbound-rtp per sender, remote-inbound-rtp from the peer's reception reports about our streams (RTT per RFC 3550
    /// 6.4.1), remote-outbound-rtp from its sender reports. Times and timestamps are milliseconds on the stats clock;
    /// jitter and round-trip times are in seconds.
    /// </summary>
    private void CollectRtpStats(Func<string, string, (string Key, object? Value)[], RtcStats> add)
    {
        var sdp = RemoteSdp();
        var codecs = new System.Collections.Generic.HashSet<string>();
        string CodecId(string direction, string? mid, byte payloadType, MediaKind kind, string mimeType, int clockRate)
        {
            var id = $"C{direction}T01_{payloadType}";
            if (!codecs.Add(id)) return id;
            var negotiated = sdp is null ? Option<RtpCodec>.None : sdp.Media.Find(m => Jsep.IsRtp(m) && mid is not null && Jsep.Mid(m) == mid)
                .Bind(m => Jsep.Codecs(m, kind).Find(c => c.PayloadType == payloadType));
            var fmtp = negotiated.Map(c => c.Fmtp).IfNone("");
            var values = new List<(string, object?)>
            {
                ("transportId", "T01"), ("payloadType", (int)payloadType),
                ("mimeType", negotiated.Map(c => c.MimeType).IfNone(mimeType)), ("clockRate", negotiated.Map(c => c.ClockRate).IfNone(clockRate)),
            };
            if (kind == MediaKind.Audio) values.Add(("channels", (object?)negotiated.Map(c => c.Channels).IfNone(1)));
            if (fmtp.Length > 0) values.Add(("sdpFmtpLine", fmtp));
            add("codec", id, values.ToArray());
            return id;
        }
        static string KindText(MediaKind kind) => kind == MediaKind.Audio ? "audio" : "video";

        foreach (var stream in _remoteStreams.Values)
        {
            var track = stream.Track;
            var ssrc = track.Ssrc;
            var st = track.Statistics;
            var expected = st.Started ? (long)st.ExtendedHighest - st.BaseSeq + 1 : 0;
            _inboundCounters.TryGetValue(ssrc, out var counters);
            _feedbackSent.TryGetValue(ssrc, out var fb);
            var values = new List<(string, object?)>
            {
                ("ssrc", ssrc), ("kind", KindText(track.Kind)), ("transportId", "T01"), ("mid", track.Mid), ("trackIdentifier", track.Id),
                ("codecId", CodecId("I", track.Mid, track.PayloadType, track.Kind, track.Codec, track.ClockRate)),
                ("packetsReceived", st.Received), ("packetsLost", Math.Max(0, expected - st.Received)),
                ("jitter", st.Jitter / Math.Max(1, track.ClockRate)),
                ("bytesReceived", counters is null ? 0L : Interlocked.Read(ref counters.PayloadBytes)),
                ("headerBytesReceived", counters is null ? 0L : Interlocked.Read(ref counters.HeaderBytes)),
                ("nackCount", fb is null ? 0L : Interlocked.Read(ref fb.Nacks)),
                ("pliCount", fb is null ? 0L : Interlocked.Read(ref fb.Plis)),
                ("firCount", fb is null ? 0L : Interlocked.Read(ref fb.Firs)),
            };
            if (counters is not null && Interlocked.Read(ref counters.LastAtTicks) is var last and > 0)
                values.Add(("lastPacketReceivedTimestamp", TimeSpan.FromTicks(last).TotalMilliseconds));
            if (track.Rid is not null) values.Add(("rid", track.Rid));
            if (track.Kind == MediaKind.Video) { values.Add(("framesReceived", track.FramesReceived)); values.Add(("framesPerSecond", (double)track.FramesPerSecond(MediaNow))); }
            if (_remoteOutbound.ContainsKey(ssrc)) values.Add(("remoteId", $"ROA{ssrc}"));
            add("inbound-rtp", $"I{ssrc}", values.ToArray());
        }
        // SSRCs that arrived without a track (not yet mapped, RTX, probes): their packet counts, as before.
        foreach (var (ssrc, packets) in _rtpReceivedBySsrc)
            if (!_remoteStreams.ContainsKey(ssrc) && !_repairs.ContainsKey(ssrc))
                add("inbound-rtp", $"I{ssrc}", [("ssrc", ssrc), ("transportId", "T01"), ("packetsReceived", packets)]);

        foreach (var sender in GetSenders())
        foreach (var layer in sender.LayerStats(MediaNow)) // one outbound-rtp per layer (a simulcast sender has several)
        {
            var ssrc = layer.Ssrc;
            var track = sender.Track;
            var kind = sender.Transceiver.Kind;
            _feedbackReceived.TryGetValue(ssrc, out var fb);
            var values = new List<(string, object?)>
            {
                ("ssrc", ssrc), ("transportId", "T01"), ("kind", KindText(kind)), ("mid", sender.Transceiver.Mid),
                ("packetsSent", layer.Packets), ("bytesSent", layer.Octets), ("headerBytesSent", layer.HeaderBytes),
                ("retransmittedPacketsSent", layer.Retransmitted), ("retransmittedBytesSent", layer.RetransmittedBytes),
                ("nackCount", fb is null ? 0L : Interlocked.Read(ref fb.Nacks)),
                ("pliCount", fb is null ? 0L : Interlocked.Read(ref fb.Plis)),
                ("firCount", fb is null ? 0L : Interlocked.Read(ref fb.Firs)),
                ("active", layer.Active),
            };
            if (layer.Rid is not null) values.Add(("rid", layer.Rid));
            if (kind == MediaKind.Video) { values.Add(("framesSent", layer.Frames)); values.Add(("framesPerSecond", (double)layer.FramesPerSecond)); }
            if (sender.PayloadType is { } pt && track is not null)
                values.Add(("codecId", CodecId("O", sender.Transceiver.Mid, pt, kind, track.Codec.MimeType, track.Codec.ClockRate)));
            if (_remoteInbound.ContainsKey(ssrc)) values.Add(("remoteId", $"RIA{ssrc}"));
            add("outbound-rtp", $"O{ssrc}", values.ToArray());
        }

        foreach (var (ssrc, ri) in _remoteInbound)
        {
            var sender = _senders.FirstOrDefault(s => s.HasSsrc(ssrc));
            var values = new List<(string, object?)>
            {
                ("ssrc", ssrc), ("transportId", "T01"), ("localId", $"O{ssrc}"),
                ("packetsLost", (long)ri.Report.CumulativeLost), ("fractionLost", ri.Report.FractionLost / 256.0),
                ("totalRoundTripTime", ri.TotalRoundTripTime.TotalSeconds), ("roundTripTimeMeasurements", ri.Measurements),
            };
            if (sender is not null)
            {
                values.Add(("kind", KindText(sender.Transceiver.Kind)));
                values.Add(("jitter", ri.Report.Jitter / (double)Math.Max(1, sender.Track?.Codec.ClockRate ?? 90000)));
                if (sender.PayloadType is { } pt) values.Add(("codecId", $"COT01_{pt}"));
            }
            if (ri.RoundTripTime.IsSome) values.Add(("roundTripTime", ((TimeSpan)ri.RoundTripTime).TotalSeconds));
            add("remote-inbound-rtp", $"RIA{ssrc}", values.ToArray());
        }

        foreach (var (ssrc, ro) in _remoteOutbound)
        {
            if (!_remoteStreams.TryGetValue(ssrc, out var stream)) continue;
            var seconds = (ro.Report.NtpTimestamp >> 32) + (ro.Report.NtpTimestamp & 0xFFFFFFFF) / 4294967296.0;
            add("remote-outbound-rtp", $"ROA{ssrc}",
            [
                ("ssrc", ssrc), ("kind", KindText(stream.Track.Kind)), ("transportId", "T01"), ("localId", $"I{ssrc}"),
                ("codecId", $"CIT01_{stream.Track.PayloadType}"),
                ("packetsSent", (long)ro.Report.PacketCount), ("bytesSent", (long)ro.Report.OctetCount),
                ("remoteTimestamp", (seconds - 2208988800.0) * 1000.0), ("reportsSent", ro.ReportsReceived),
            ]);
        }
    }
}
