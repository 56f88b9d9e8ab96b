using System.Collections.Concurrent;
using Functional.WebRtc.Core.Rtp;
using Functional.WebRtc.Media;
using LanguageExt;

namespace Functional.WebRtc;

/// <summary>
/// Counters behind the RTP entries of getStats (W3C webrtc-stats): bytes and header bytes received per SSRC, feedback
/// sent and received per media SSRC (NACK, PLI, FIR), and what the peer's reports say of our streams
/// (remote-inbound-rtp, with the round-trip time of RFC 3550 6.4.1) and of its own (remote-outbound-rtp).
/// Updated on the receive loop and wherever RTCP is sent; read by the stats snapshot.
/// </summary>
public sealed partial class PeerConnection
{
    private const int MaxCountedSsrcs = 1024;

    /// <summary>Per incoming SSRC: what inbound-rtp reports beyond the reception statistics.</summary>
    private sealed class InboundCounters
    {
        public long Packets, PayloadBytes, HeaderBytes, LastAtTicks;
    }

    /// <summary>Per media SSRC: feedback messages (NACK packets, PLI, FIR) sent or received about it.</summary>
    private sealed class FeedbackCounters
    {
        public long Nacks, Plis, Firs;
    }

    /// <summary>The latest reception report the peer sent about one of our SSRCs, with the round-trip times measured.</summary>
    private sealed record RemoteInbound(ReceptionReport Report, Option<TimeSpan> RoundTripTime, TimeSpan TotalRoundTripTime, long Measurements, TimeSpan At);

    /// <summary>The latest sender report of one of the peer's SSRCs.</summary>
    private sealed record RemoteOutbound(SenderReport Report, long ReportsReceived, TimeSpan At);

    private readonly ConcurrentDictionary<uint, InboundCounters> _inboundCounters = new();
    private readonly ConcurrentDictionary<uint, FeedbackCounters> _feedbackSent = new();
    private readonly ConcurrentDictionary<uint, FeedbackCounters> _feedbackReceived = new();
    private readonly ConcurrentDictionary<uint, RemoteInbound> _remoteInbound = new();
    private readonly ConcurrentDictionary<uint, RemoteOutbound> _remoteOutbound = new();

    /// <summary>On the receive loop, for every unprotected RTP packet: counts it, and records its transport-wide sequence number.</summary>
    private void ObserveReceivedRtp(ReadOnlySpan<byte> packet)
    {
        if (!RtpPacketView.TryParse(packet, out var view, out _)) return;
        var at = MediaNow;
        if (_inboundCounters.TryGetValue(view.Ssrc, out var c) || _inboundCounters.Count < MaxCountedSsrcs && (c = _inboundCounters.GetOrAdd(view.Ssrc, static _ => new())) is not null)
        {
            Interlocked.Increment(ref c.Packets);
            Interlocked.Add(ref c.PayloadBytes, view.Payload.Length);
            Interlocked.Add(ref c.HeaderBytes, view.HeaderSize + view.PaddingSize);
            Interlocked.Exchange(ref c.LastAtTicks, at.Ticks);
        }
        RecordTransportCc(packet, at);
    }

    private static void CountFeedback(ConcurrentDictionary<uint, FeedbackCounters> counters, Seq<RtcpPacket> packets)
    {
        foreach (var p in packets)
        {
            var (ssrc, nack, pli, fir) = p switch
            {
                GenericNack n => (n.MediaSsrc, 1, 0, 0),
                PictureLossIndication pl => (pl.MediaSsrc, 0, 1, 0),
                FullIntraRequest f => (f.Entries.IsEmpty ? f.MediaSsrc : f.Entries.Head.Ssrc, 0, 0, 1),
                _ => (0u, 0, 0, 0),
            };
            if (nack + pli + fir == 0) continue;
            if (!counters.TryGetValue(ssrc, out var c))
            {
                if (counters.Count >= MaxCountedSsrcs) continue;
                c = counters.GetOrAdd(ssrc, static _ => new());
            }
            if (nack > 0) Interlocked.Increment(ref c.Nacks);
            if (pli > 0) Interlocked.Increment(ref c.Plis);
            if (fir > 0) Interlocked.Increment(ref c.Firs);
        }
    }

    /// <summary>RTCP we send: feedback about the peer's streams, counted for inbound-rtp.</summary>
    private void CountSentRtcp(Seq<RtcpPacket> packets) => CountFeedback(_feedbackSent, packets);

    /// <summary>
    /// RTCP from the peer: its reception reports about our SSRCs (with the round-trip time, the report arriving now), its
    /// sender reports, feedback about our streams, and transport-wide feedback.
    /// </summary>
    private void RecordReceivedRtcp(Seq<RtcpPacket> packets)
    {
        CountFeedback(_feedbackReceived, packets);
        var at = MediaNow;
        uint? arrival = null;
        foreach (var p in packets)
        {
            Seq<ReceptionReport> blocks;
            switch (p)
            {
                case SenderReport sr:
                    blocks = sr.Reports;
                    if (_remoteOutbound.Count < MaxCountedSsrcs || _remoteOutbound.ContainsKey(sr.Ssrc))
                        _remoteOutbound.AddOrUpdate(sr.Ssrc, _ => new RemoteOutbound(sr, 1, at), (_, old) => new RemoteOutbound(sr, old.ReportsReceived + 1, at));
                    break;
                case ReceiverReport rr: blocks = rr.Reports; break;
                case TransportCcFeedback: Interlocked.Increment(ref _twccFeedbackReceived); continue;
                default: continue;
            }
            foreach (var block in blocks)
            {
                if (!_senders.Any(s => s.HasSsrc(block.Ssrc))) continue;
                arrival ??= RoundTripTime.Middle32(NtpTime.FromDateTime(DateTime.UtcNow));
                var rtt = RoundTripTime.FromReport(arrival.Value, block.LastSenderReport, block.DelaySinceLastSenderReport);
                _remoteInbound.AddOrUpdate(block.Ssrc,
                    _ => new RemoteInbound(block, rtt, rtt.IfNone(TimeSpan.Zero), rtt.IsSome ? 1 : 0, at),
                    (_, old) => new RemoteInbound(block, rtt || old.RoundTripTime, old.TotalRoundTripTime + rtt.IfNone(TimeSpan.Zero),
                        old.Measurements + (rtt.IsSome ? 1 : 0), at));
            }
        }
    }
}
