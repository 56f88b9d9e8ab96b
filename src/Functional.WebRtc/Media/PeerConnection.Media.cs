using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Globalization;
using Functional.WebRtc.Core.PeerConnection;
using Functional.WebRtc.Core.Rtp;
using Functional.WebRtc.Core.Sdp;
using Functional.WebRtc.Core.Signaling;
using Functional.WebRtc.Media;
using LanguageExt;
using Microsoft.Extensions.Logging;

namespace Functional.WebRtc;

/// <summary>
/// The media half of the shell: local tracks and their senders, remote tracks found by SSRC, and RTCP (reports every
/// second, NACK and retransmission, feedback to the application). Packets are handled on the socket's receive loop and
/// the writer's thread; nothing here runs on the connection's loop, which only does signaling.
/// </summary>
public sealed partial class PeerConnection
{
    /// <summary>How often sender and receiver reports go out (RFC 3550 6.2 suggests 5 s; browsers send about every second).</summary>
    internal static readonly TimeSpan RtcpInterval = TimeSpan.FromSeconds(1);

    private readonly object _mediaLock = new();
    private volatile RtpSender[] _senders = [];
    private readonly ConcurrentDictionary<uint, RemoteStream> _remoteStreams = new();
    private volatile ParsedRemote? _remoteSdp;

    private sealed record ParsedRemote(SessionDescription? Description, SdpDescription? Sdp);
    /// <summary>SSRCs that no section of a remote description claimed (RTX, probes): not looked up again until it changes.</summary>
    private readonly ConcurrentDictionary<uint, SessionDescription?> _unmappedSsrcs = new();
    private Timer? _rtcpTimer;
    private volatile bool _mediaClosed;

    /// <summary>A remote SSRC with its track, receiver, and whether its codec negotiated generic NACK.</summary>
    private sealed record RemoteStream(TrackRemote Track, RtpReceiver Receiver, uint LocalSsrc, bool Nack,
        IReadOnlyDictionary<byte, byte> RtxToOriginal, Seq<uint> RepairSsrcs);

    /// <summary>Repair (RTX) SSRC to the SSRC of the stream it repairs (a=ssrc-group:FID, RFC 5576 4.2 and RFC 4588 8.1).</summary>
    private readonly ConcurrentDictionary<uint, uint> _repairs = new();

    /// <summary>The first packet of a remote stream arrived (W3C ontrack, Pion's OnTrack).</summary>
    public event Action<TrackRemote, RtpReceiver>? OnTrack;

    internal TimeSpan MediaNow => _clock.Elapsed;
    internal bool MediaConnected => _srtp is not null && _route is not null && !_mediaClosed;

    /// <summary>
    /// Sends a track (W3C addTrack): takes a free transceiver of its kind or adds one, and binds the track to its sender.
    /// Negotiation is needed before packets flow; what the track writes before that is dropped.
    /// </summary>
    public RtpSender AddTrack(TrackLocal track)
    {
        ArgumentNullException.ThrowIfNull(track);
        var transceiver = AddTrack(track.Id, track.StreamId, track.Kind);
        var sender = new RtpSender(this, transceiver, track, transceiver.SenderSsrc);
        lock (_mediaLock) _senders = [.. _senders, sender];
        track.Bind(sender);
        EnsureRtcpTimer();
        return sender;
    }

    /// <summary>Stops sending a sender's track (W3C removeTrack); renegotiation makes the transceiver stop sending.</summary>
    public void RemoveTrack(RtpSender sender)
    {
        ArgumentNullException.ThrowIfNull(sender);
        lock (_mediaLock)
        {
            if (!_senders.Contains(sender)) throw new InvalidAccessException(new Core.RtcError.InvalidAccess("the sender is not of this connection"));
            _senders = _senders.Where(s => s != sender).ToArray();
        }
        sender.Transceiver.RemoveTrack();
        sender.Stop();
    }

    public IReadOnlyList<RtpSender> GetSenders() => _senders;
    public IReadOnlyList<RtpReceiver> GetReceivers() => _remoteStreams.Values.Select(r => r.Receiver).ToList();

    // ----- receiving RTP (the socket's receive loop) -----

    /// <summary>One unprotected RTP packet from the peer: to its track, or a new track when its SSRC is new.</summary>
    private void OnMediaRtp(ReadOnlyMemory<byte> packet)
    {
        if (_mediaClosed || packet.Length < RtpPacketView.FixedHeaderSize) return;
        ObserveReceivedRtp(packet.Span); // stats counters and transport-wide feedback (PeerConnection.RtpStats.cs, .Twcc.cs)
        var ssrc = BinaryPrimitives.ReadUInt32BigEndian(packet.Span[8..]);
        if (TryRepair(ssrc, packet.Span)) return;
        if (!_remoteStreams.TryGetValue(ssrc, out var stream) && (stream = AddRemoteStream(ssrc, packet.Span)) is null)
        {
            TryRepair(ssrc, packet.Span); // its first packet named the stream it repairs (repaired-rtp-stream-id)
            return;
        }
        var missing = stream.Track.Push(packet.Span, MediaNow);
        if (stream.Nack && !missing.IsEmpty) SendRtcp(Seq1<RtcpPacket>(GenericNack.FromLost(stream.LocalSsrc, ssrc, missing)));
    }

    /// <summary>A retransmission on a known RTX stream: the original packet goes to the stream it repairs (RFC 4588 4).</summary>
    private bool TryRepair(uint ssrc, ReadOnlySpan<byte> packet)
    {
        if (!_repairs.TryGetValue(ssrc, out var primary) || !_remoteStreams.TryGetValue(primary, out var repaired)) return false;
        if (repaired.RtxToOriginal.TryGetValue((byte)(packet[1] & 0x7F), out var originalType) &&
            RtxFormat.Unwrap(packet, primary, originalType) is { } original)
            repaired.Track.PushRepair(original);
        return true;
    }

    /// <summary>
    /// The first packet of an SSRC: its stream and track when the remote description maps it (then OnTrack), else null.
    /// Its own method: the OnTrack closure inside <see cref="OnMediaRtp"/> was allocated on every packet.
    /// </summary>
    private RemoteStream? AddRemoteStream(uint ssrc, ReadOnlySpan<byte> packet)
    {
        var description = _state.RemoteDescription.IsSome ? (SessionDescription)_state.RemoteDescription : null;
        if (_unmappedSsrcs.TryGetValue(ssrc, out var triedWith) && ReferenceEquals(triedWith, description)) return null;
        var made = NewRemoteStream(ssrc, packet, out var retry);
        if (made is null)
        {
            // Not (yet) in the remote description: tried again once another description is set. A repair stream whose
            // primary has not arrived yet is tried again with its next packet.
            if (!retry && _unmappedSsrcs.Count < 1024) _unmappedSsrcs[ssrc] = description;
            return null;
        }
        _unmappedSsrcs.TryRemove(ssrc, out _);
        foreach (var repair in made.RepairSsrcs) _repairs[repair] = ssrc;
        if (!_remoteStreams.TryAdd(ssrc, made)) return null;
        EnsureRtcpTimer();
        var (track, receiver) = (made.Track, made.Receiver);
        Raise(() => OnTrack?.Invoke(track, receiver));
        return made;
    }

    private static Seq<T> Seq1<T>(T x) => Prelude.Seq1(x);

    /// <summary>
    /// Finds the m-section of a new SSRC in the remote description (RFC 8843 9.2): its a=ssrc lines, else the sdes:mid
    /// header extension, else the only section declaring the packet's rid (RFC 8851 4), else the only section that sends
    /// this payload type without declaring SSRCs. When the section negotiated rtp-stream-id, the track gets the packet's
    /// rid (each simulcast layer its own track, RFC 8853); a packet naming a repaired-rtp-stream-id is not a track but
    /// the RTX stream of the track with that rid (RFC 8852 3.2): it is registered as its repair stream, or
    /// <paramref name="retry"/> is set when that track has not arrived yet.
    /// </summary>
    private RemoteStream? NewRemoteStream(uint ssrc, ReadOnlySpan<byte> packet, out bool retry)
    {
        retry = false;
        var sdp = RemoteSdp();
        if (sdp is null || !RtpPacketView.TryParse(packet, out var view, out _)) return null;
        var text = ssrc.ToString(CultureInfo.InvariantCulture);
        var sections = sdp.Media.Filter(m => Jsep.IsRtp(m) && m.Port != 0);
        if (sections.Exists(m => m.AttributeValues("ssrc-group").Exists(g => IsRepairSsrc(g.ToString(), text)))) return null;
        var section = sections.Find(m => m.AttributeValues("ssrc").Exists(v => SsrcOf(v.ToString()) == text));
        if (section.IsNone)
        {
            var midId = sections.Bind(m => Jsep.Extmaps(m)).Find(e => e.Uri == MediaEngine.MidUri).Map(e => e.Id);
            if (midId.IsSome && view.TryGetExtension((byte)(int)midId, out var value))
            {
                var mid = RtpExtensions.ReadString(value);
                section = sections.Find(m => Jsep.Mid(m) == mid);
            }
        }
        var rid = ReadSdes(sections, MediaEngine.RidUri, view);
        var repairedRid = ReadSdes(sections, MediaEngine.RepairedRidUri, view);
        if (section.IsNone && (rid ?? repairedRid) is { } anyRid)
        {
            // RFC 8851 4: the only section that declares this rid for sending.
            var declaring = sections.Filter(m => m.Rids().Exists(r => r.Id == anyRid && r.Direction == RidDirection.Send));
            if (declaring.Count == 1) section = declaring.Head();
        }
        if (section.IsNone)
        {
            var pt = view.PayloadType.ToString(CultureInfo.InvariantCulture);
            var candidates = sections.Filter(m => !m.HasAttribute("ssrc") && Jsep.DirectionOf(m).Sends() && m.Formats.Exists(f => f.ToString() == pt));
            if (candidates.Count == 1) section = candidates.Head();
        }
        if (section.IsNone) return null;
        var m = (MediaDescription)section;
        var sectionMid = Jsep.Mid(m);
        // Read again with this section's own extmap ids (RFC 8285 6: the ids are per section, though BUNDLE shares them).
        var own = Arr.create(m);
        rid = ReadSdes(own, MediaEngine.RidUri, view);
        repairedRid = ReadSdes(own, MediaEngine.RepairedRidUri, view);
        if (repairedRid is not null)
        {
            // RFC 8852 3.2: an RTX stream names the rid of the stream it repairs; its packets go to that stream.
            var primary = _remoteStreams.FirstOrDefault(r => r.Value.Track.Rid == repairedRid && r.Value.Track.Mid == (sectionMid.IsSome ? (string)sectionMid : null));
            if (primary.Value is null) { retry = true; return null; }
            _repairs[ssrc] = primary.Key;
            primary.Value.Track.RepairSsrc = ssrc;
            return null;
        }
        var kind = Jsep.KindOf(m);
        var payloadType = view.PayloadType;
        var codec = Jsep.Codecs(m, kind).Find(c => c.PayloadType == payloadType && !c.IsRtx);
        if (codec.IsNone) return null;
        var c = (RtpCodec)codec;
        var msid = m.AttributeValues("ssrc").Map(v => v.ToString()).Find(v => SsrcOf(v) == text && v.Contains(" msid:", StringComparison.Ordinal))
            .Map(v => v[(v.IndexOf(" msid:", StringComparison.Ordinal) + 6)..])
            || m.AttributeValue("msid").Map(v => v.ToString());
        var parts = msid.Map(v => v.Split(' ', StringSplitOptions.RemoveEmptyEntries)).IfNone([]);
        var midText = Jsep.Mid(m);
        var transceiver = _state.Transceivers.Find(t => t.Mid == midText && !t.Stopped);
        var handle = transceiver.IsSome ? new RtpTransceiver(this, ((Transceiver)transceiver).Index) : null;
        var localSsrc = transceiver.Map(t => t.Ssrc).IfNone(1u);
        var track = new TrackRemote(parts.Length > 1 ? parts[1] : midText.IfNone(text), parts.Length > 0 ? parts[0] : "-", kind,
            c.MimeType, c.ClockRate, c.PayloadType, ssrc, midText.IsSome ? (string)midText : null, rid);
        var nack = c.Feedback.Exists(f => f.Type == "nack" && f.Parameter.Length == 0);
        var rtx = Jsep.Codecs(m, kind).Filter(x => x.IsRtx && x.Apt.IsSome)
            .DistinctBy(x => x.PayloadType).ToDictionary(x => x.PayloadType, x => (byte)(int)x.Apt);
        var repairs = m.AttributeValues("ssrc-group").Map(g => g.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Filter(g => g.Length >= 3 && g[0] == "FID" && g[1] == text)
            .Bind(g => g.Skip(2).Choose(r => uint.TryParse(r, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? Prelude.Some(v) : Prelude.None).ToSeq());
        if (!repairs.IsEmpty) track.RepairSsrc = repairs.Head();
        return new RemoteStream(track, new RtpReceiver(handle, track, this), localSsrc, nack, rtx, repairs.ToSeq());
    }

    /// <summary>An SDES header extension's text (RFC 8852) when a section maps its URI and the packet carries it, else null.</summary>
    private static string? ReadSdes(Arr<MediaDescription> sections, string uri, RtpPacketView view)
    {
        var id = sections.Bind(m => Jsep.Extmaps(m)).Find(e => e.Uri == uri).Map(e => e.Id);
        if (id.IsNone || !view.TryGetExtension((byte)(int)id, out var value)) return null;
        var text = RtpExtensions.ReadString(value);
        return text.Length == 0 ? null : text;
    }

    private static string SsrcOf(string ssrcLine)
    {
        var space = ssrcLine.IndexOf(' ');
        return space < 0 ? ssrcLine : ssrcLine[..space];
    }

    /// <summary>a=ssrc-group:FID primary repair (RFC 4588 8.1): true when <paramref name="ssrc"/> is a repair stream.</summary>
    private static bool IsRepairSsrc(string group, string ssrc)
    {
        var parts = group.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return parts.Length >= 3 && parts[0] == "FID" && parts.Skip(2).Contains(ssrc);
    }

    /// <summary>The remote description parsed, cached per description.</summary>
    private SdpDescription? RemoteSdp()
    {
        var description = _state.RemoteDescription.IsSome ? (SessionDescription)_state.RemoteDescription : null;
        var cached = _remoteSdp;
        if (cached is not null && ReferenceEquals(cached.Description, description)) return cached.Sdp;
        var sdp = description?.TryUnmarshal().Match(s => s, _ => (SdpDescription?)null);
        _remoteSdp = new ParsedRemote(description, sdp);
        return sdp;
    }

    // ----- receiving RTCP -----

    /// <summary>One unprotected RTCP compound: NACKs answered from the send history, the rest to the senders and receivers it names.</summary>
    private void OnMediaRtcp(ReadOnlyMemory<byte> compound)
    {
        if (_mediaClosed) return;
        var parsed = RtcpCompound.Parse(compound.Span);
        if (parsed.IsLeft) return;
        var packets = (Seq<RtcpPacket>)parsed;
        RecordReceivedRtcp(packets);
        var list = packets.ToList();
        var senders = new System.Collections.Generic.HashSet<RtpSender>();
        var receivers = new System.Collections.Generic.HashSet<RtpReceiver>();
        var ended = new List<uint>();
        var all = _senders;
        void ToSender(uint ssrc) { foreach (var s in all) if (s.HasSsrc(ssrc)) senders.Add(s); }
        void ToReceiver(uint ssrc) { if (_remoteStreams.TryGetValue(ssrc, out var r)) receivers.Add(r.Receiver); }
        foreach (var packet in packets)
        {
            switch (packet)
            {
                case GenericNack n:
                    foreach (var s in all) if (s.HasSsrc(n.MediaSsrc)) s.Retransmit(n.MediaSsrc, n.LostSequenceNumbers);
                    ToSender(n.MediaSsrc);
                    break;
                case PictureLossIndication p: ToSender(p.MediaSsrc); break;
                case FullIntraRequest f:
                    ToSender(f.MediaSsrc);
                    foreach (var e in f.Entries) ToSender(e.Ssrc);
                    break;
                case TransportCcFeedback:
                    foreach (var s in all) senders.Add(s); // transport-wide: it concerns every sender
                    break;
                case ReceiverEstimatedMaxBitrate r:
                    foreach (var ssrc in r.Ssrcs) ToSender(ssrc);
                    break;
                case ReceiverReport rr:
                    foreach (var b in rr.Reports) ToSender(b.Ssrc);
                    break;
                case SenderReport sr:
                    foreach (var b in sr.Reports) ToSender(b.Ssrc);
                    if (_remoteStreams.TryGetValue(sr.Ssrc, out var stream)) stream.Track.SenderReportReceived(sr.NtpTimestamp, MediaNow);
                    ToReceiver(sr.Ssrc);
                    break;
                case SourceDescription d:
                    foreach (var chunk in d.Chunks) ToReceiver(chunk.Source);
                    break;
                case Goodbye bye:
                    foreach (var ssrc in bye.Sources)
                    {
                        ToReceiver(ssrc);
                        ended.Add(ssrc);
                    }
                    break;
            }
        }
        foreach (var s in senders) s.DeliverRtcp(list);
        foreach (var r in receivers) r.DeliverRtcp(list);
        // RFC 3550 6.6: after BYE the source is gone; its track ends (a later packet of that SSRC makes a new one).
        foreach (var ssrc in ended)
            if (_remoteStreams.TryRemove(ssrc, out var gone))
            {
                gone.Receiver.Stop();
                foreach (var repair in gone.RepairSsrcs) _repairs.TryRemove(repair, out _);
                if (gone.Track.RepairSsrc is { } learned) _repairs.TryRemove(learned, out _);
            }
    }

    // ----- sending RTCP -----

    /// <summary>Writes RTCP packets to the peer as one compound, protected with SRTCP; false when not connected.</summary>
    internal bool SendRtcp(Seq<RtcpPacket> packets)
    {
        var size = RtcpCompound.SizeOf(packets);
        var buffer = new byte[size + 64];
        if (!RtcpCompound.TryWrite(packets, buffer, out var written, out _)) return false;
        if (!SendSrtp(buffer, written, rtcp: true)) return false;
        CountSentRtcp(packets);
        return true;
    }

    /// <summary>Sends RTCP feedback (PLI, FIR, NACK, REMB) to the peer, as Pion's WriteRTCP.</summary>
    public void WriteRtcp(params RtcpPacket[] packets)
    {
        if (packets.Length > 0) SendRtcp(packets.ToSeq());
    }

    private void EnsureRtcpTimer()
    {
        if (_rtcpTimer is not null || _mediaClosed) return;
        var timer = new Timer(_ => SendReports(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        if (Interlocked.CompareExchange(ref _rtcpTimer, timer, null) is not null) { timer.Dispose(); return; }
        timer.Change(RtcpInterval, RtcpInterval);
    }

    /// <summary>Every interval: a sender report per sending stream, reception reports for the remote streams (RFC 3550 6.4).</summary>
    private void SendReports()
    {
        try
        {
            if (_mediaClosed || _srtp is null) return;
            var now = MediaNow;
            var blocks = _remoteStreams.Values.Where(r => r.Track.Statistics.Started).Select(r => r.Track.Report(now)).Take(31).ToSeq();
            var ntp = NtpTime.FromDateTime(DateTime.UtcNow);
            var reports = _senders.SelectMany(s => s.Reports(ntp, now)).ToList();
            var packets = Seq<RtcpPacket>.Empty;
            if (reports.Count > 0)
            {
                packets = packets.Add(reports[0] with { Reports = blocks });
                packets = packets.Concat(reports.Skip(1).Cast<RtcpPacket>());
            }
            else if (!blocks.IsEmpty)
            {
                var own = _remoteStreams.Values.Select(r => r.LocalSsrc).FirstOrDefault(1u);
                packets = packets.Add(new ReceiverReport(own, blocks));
            }
            foreach (var stream in _remoteStreams.Values.Where(r => r.Nack))
            {
                // NACK again what a first NACK did not repair (RFC 4585 3.5.1 leaves repetition to the receiver).
                var missing = stream.Track.StillMissing();
                if (!missing.IsEmpty) packets = packets.Add(GenericNack.FromLost(stream.LocalSsrc, stream.Track.Ssrc, missing));
            }
            if (packets.IsEmpty) return;
            var first = packets.Head switch { SenderReport s => s.Ssrc, ReceiverReport r => r.Ssrc, _ => 1u };
            packets = packets.Add(SourceDescription.Cname(first, _state.Config.Cname));
            SendRtcp(packets);
        }
        catch (Exception e) when (e is ObjectDisposedException or InvalidOperationException)
        {
            _log.LogDebug(e, "{Id} could not send RTCP reports", Id);
        }
    }

    /// <summary>On close: no more media; readers of tracks and RTCP see the end.</summary>
    private void CloseMedia()
    {
        _mediaClosed = true;
        Interlocked.Exchange(ref _rtcpTimer, null)?.Dispose();
        CloseTwcc();
        foreach (var s in _senders) s.Stop();
        foreach (var r in _remoteStreams.Values) r.Receiver.Stop();
    }
}
