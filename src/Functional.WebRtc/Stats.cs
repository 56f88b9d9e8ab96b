using Functional.WebRtc.Core.Dtls;
using Functional.WebRtc.Core.Ice;
using Functional.WebRtc.Core.Sctp;

namespace Functional.WebRtc;

/// <summary>
/// One entry of a stats report (W3C RTCStats): its type ("peer-connection", "transport", "candidate-pair",
/// "local-candidate", "remote-candidate", "certificate", "data-channel", "inbound-rtp", "outbound-rtp"), an id, the time
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
        foreach (var (ssrc, packets) in _rtpReceivedBySsrc)
            Add("inbound-rtp", $"I{ssrc}", ("ssrc", ssrc), ("transportId", "T01"), ("packetsReceived", packets));
        foreach (var sender in GetSenders())
            Add("outbound-rtp", $"O{sender.Ssrc}", ("ssrc", sender.Ssrc), ("transportId", "T01"),
                ("kind", sender.Track?.Kind.ToString().ToLowerInvariant()), ("packetsSent", (long)sender.Sent.Packets),
                ("bytesSent", (long)sender.Sent.Octets), ("retransmittedPacketsSent", sender.Retransmitted));
        return stats;
    }

    private static (string, object?)[] CandidateValues(IceCandidate c) =>
    [
        ("transportId", "T01"), ("address", c.Address), ("port", c.Port),
        ("protocol", c.Transport == IceTransportProtocol.Udp ? "udp" : "tcp"),
        ("candidateType", IceCandidate.TypeName(c.Type)), ("priority", (long)c.Priority),
        ("foundation", c.Foundation),
    ];
}
