using System.Buffers;
using System.Buffers.Binary;
using System.Threading.Channels;
using Functional.WebRtc.Core.PeerConnection;
using Functional.WebRtc.Core.Rtp;
using Functional.WebRtc.Core.Signaling;
using Functional.WebRtc.Media;
using LanguageExt;

namespace Functional.WebRtc;

/// <summary>
/// Sends one local track on one transceiver (W3C RTCRtpSender, Pion's RTPSender). It rewrites the SSRC and payload type
/// of each packet, keeps a short history for retransmission on NACK (RFC 4585 6.2.1), counts what it sent for the sender
/// report, and hands the RTCP that concerns it (PLI, FIR, REMB, receiver reports) to <see cref="ReadRtcpAsync"/>.
/// </summary>
public sealed class RtpSender
{
    /// <summary>How many recent packets are kept for retransmission.</summary>
    public const int HistorySize = 512;

    private readonly PeerConnection _pc;
    private readonly Channel<IReadOnlyList<RtcpPacket>> _rtcp = Channel.CreateBounded<IReadOnlyList<RtcpPacket>>(
        new BoundedChannelOptions(64) { FullMode = BoundedChannelFullMode.DropOldest, SingleWriter = false });
    private readonly object _lock = new();
    private readonly byte[]?[] _history = new byte[HistorySize][];
    private readonly int[] _historyLength = new int[HistorySize];
    private readonly ushort[] _historySeq = new ushort[HistorySize];
    private volatile TrackLocal? _track;
    private SessionDescription? _resolvedFor;
    private int _payloadType = -1;
    private int _rtxPayloadType = -1;
    private uint _rtxSsrc;
    private ushort _rtxSequence = (ushort)System.Security.Cryptography.RandomNumberGenerator.GetInt32(65536);
    private uint _clockRate = 90000;
    private SendStatistics _stats;
    private long _retransmitted;
    private byte _twccId;          // the negotiated transport-cc extension id, 0 when not negotiated
    private long _headerBytes, _retransmittedBytes;

    internal RtpSender(PeerConnection pc, RtpTransceiver transceiver, TrackLocal track, uint ssrc)
    {
        _pc = pc;
        Transceiver = transceiver;
        _track = track;
        _ssrc = ssrc;
    }

    /// <summary>The track being sent, or null after <see cref="ReplaceTrack"/>(null) or RemoveTrack.</summary>
    public TrackLocal? Track => _track;
    public RtpTransceiver Transceiver { get; }
    /// <summary>The SSRC this sender's packets carry (announced in a=ssrc).</summary>
    public uint Ssrc => Volatile.Read(ref _ssrc);
    private uint _ssrc;
    /// <summary>The negotiated payload type, or null before negotiation completes.</summary>
    public byte? PayloadType { get { lock (_lock) return _payloadType < 0 ? null : (byte)_payloadType; } }
    /// <summary>Packets and payload octets sent so far (as in the sender report).</summary>
    public (uint Packets, uint Octets) Sent { get { lock (_lock) return (_stats.PacketCount, _stats.OctetCount); } }
    /// <summary>Packets sent again because the peer NACKed them.</summary>
    public long Retransmitted => Interlocked.Read(ref _retransmitted);
    /// <summary>Header and padding octets of the packets sent (W3C headerBytesSent), and octets sent again (retransmittedBytesSent).</summary>
    internal (long HeaderBytes, long RetransmittedBytes) SentBytes => (Interlocked.Read(ref _headerBytes), Interlocked.Read(ref _retransmittedBytes));

    /// <summary>
    /// True when a packet written now would go out: the transceiver negotiated sending with a codec for the track, and
    /// DTLS has made the SRTP keys on a selected ICE pair.
    /// </summary>
    public bool CanSend
    {
        get
        {
            var track = _track;
            if (track is null || !_pc.MediaConnected) return false;
            lock (_lock) return TryResolve(track, out _);
        }
    }

    /// <summary>
    /// Test hook: a packet (sequence number, whether it is a retransmission) for which this returns true is not sent,
    /// though kept in the history (a loss on purpose).
    /// </summary>
    internal Func<ushort, bool, bool>? DropFilter { get; set; }

    /// <summary>
    /// Sends another track (or nothing) without renegotiation (W3C replaceTrack). The new track must be of the same kind;
    /// the negotiated payload type is looked up again for its codec.
    /// </summary>
    public void ReplaceTrack(TrackLocal? track)
    {
        if (track is not null && track.Kind != Transceiver.Kind)
            throw new InvalidModificationException(new Core.RtcError.InvalidModification($"cannot replace a {Transceiver.Kind} track with a {track.Kind} one"));
        var old = _track;
        if (ReferenceEquals(old, track)) return;
        old?.Unbind(this);
        lock (_lock) { _resolvedFor = null; _payloadType = -1; _rtxPayloadType = -1; }
        _track = track;
        track?.Bind(this);
    }

    /// <summary>The next RTCP compound that concerns this sender (PLI, FIR, REMB, NACK, receiver reports).</summary>
    public async ValueTask<IReadOnlyList<RtcpPacket>> ReadRtcpAsync(CancellationToken cancel = default)
    {
        try { return await _rtcp.Reader.ReadAsync(cancel).ConfigureAwait(false); }
        catch (ChannelClosedException) { throw new InvalidStateException(new Core.RtcError.InvalidState("the sender is stopped")); }
    }

    internal void DeliverRtcp(IReadOnlyList<RtcpPacket> packets) => _rtcp.Writer.TryWrite(packets);

    internal void Stop()
    {
        _track?.Unbind(this);
        _track = null;
        _rtcp.Writer.TryComplete();
    }

    /// <summary>
    /// The payload type the remote description gives this transceiver's mid for the track's codec, when the transceiver
    /// negotiated sending; cached per remote description.
    /// </summary>
    private bool TryResolve(TrackLocal track, out byte payloadType)
    {
        var state = _pc.Snapshot;
        var remote = state.CurrentRemote.IsSome ? (SessionDescription)state.CurrentRemote : null;
        payloadType = 0;
        if (remote is null) return false;
        if (!ReferenceEquals(remote, _resolvedFor))
        {
            _resolvedFor = remote;
            (_payloadType, _rtxPayloadType) = ResolvePayloadType(state, remote, track.Codec);
            _clockRate = (uint)Math.Max(1, track.Codec.ClockRate);
            var mid = state.Transceivers.Find(x => x.Index == Transceiver.Index).Bind(x => x.Mid);
            _twccId = _pc.TransportCcSendId(mid.IsSome ? (string)mid : null);
        }
        if (_payloadType < 0) return false;
        Transceiver? tx = null;
        var transceivers = state.Transceivers;
        for (var i = 0; i < transceivers.Count; i++) // no closure or boxed enumerator per packet
            if (transceivers[i].Index == Transceiver.Index) { tx = transceivers[i]; break; }
        if (tx is null) return false;
        if (tx.Stopped || !tx.CurrentDirection.Exists(d => d.Sends())) return false;
        if (tx.Ssrc != 0) Volatile.Write(ref _ssrc, tx.Ssrc); // the SSRC the description announced (a=ssrc)
        _rtxSsrc = tx.RtxSsrc;
        payloadType = (byte)_payloadType;
        return true;
    }

    /// <summary>The codec's payload type and its RTX payload type (fmtp apt=, RFC 4588 8.6), -1 when not negotiated.</summary>
    private (int PayloadType, int Rtx) ResolvePayloadType(PeerState state, SessionDescription remote, RtpCodecCapability codec)
    {
        var mid = state.Transceivers.Find(x => x.Index == Transceiver.Index).Bind(x => x.Mid);
        if (mid.IsNone) return (-1, -1);
        return remote.TryUnmarshal().Match(
            sdp => sdp.Media.Find(m => Jsep.Mid(m) == mid && m.Port != 0 && Jsep.IsRtp(m)).Match(
                m =>
                {
                    var codecs = Jsep.Codecs(m, codec.Kind);
                    var pt = codecs.Find(c => !c.IsRtx && Matches(codec, c)).Map(c => (int)c.PayloadType).IfNone(-1);
                    var rtx = pt < 0 ? -1 : codecs.Find(c => c.IsRtx && c.Apt.Exists(a => a == pt)).Map(c => (int)c.PayloadType).IfNone(-1);
                    return (pt, rtx);
                },
                () => (-1, -1)),
            _ => (-1, -1));
    }

    private static bool Matches(RtpCodecCapability ours, RtpCodec theirs)
    {
        if (!ours.Name.Equals(theirs.Name, StringComparison.OrdinalIgnoreCase)) return false;
        if (ours.Fmtp.Length == 0) return ours.ClockRate == theirs.ClockRate;
        var mine = new RtpCodec(ours.Kind, ours.MimeType, ours.ClockRate, ours.Channels, ours.Fmtp, 0, Arr<RtcpFeedback>.Empty);
        return MediaEngine.Matches(mine, theirs.Name, theirs.ClockRate, theirs.Channels, theirs.Fmtp);
    }

    /// <summary>One packet from the track: rewrite, remember, protect, send. Drops it while not negotiated or connected.</summary>
    internal void SendRtp(ReadOnlySpan<byte> packet)
    {
        var track = _track;
        if (track is null || packet.Length < RtpPacketView.FixedHeaderSize) return;
        var buffer = ArrayPool<byte>.Shared.Rent(packet.Length + 64 + RtpExtensionStamp.MaxGrowth(2));
        try
        {
            ushort seq;
            var length = packet.Length;
            lock (_lock)
            {
                if (!TryResolve(track, out var pt)) return;
                packet.CopyTo(buffer);
                if (!new RtpRewrite(Ssrc, pt).Apply(buffer.AsSpan(0, length))) return; // our SSRC and negotiated payload type
                seq = BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(2));
                // The transport-wide sequence number (transport-cc), when negotiated: the peer's feedback refers to it.
                if (_twccId != 0 && RtpExtensionStamp.TrySetTransportSequenceNumber(buffer, length, _twccId, _pc.NextTransportSequenceNumber(), out var stamped))
                    length = stamped;
                var slot = seq % HistorySize;
                var kept = _history[slot];
                if (kept is null || kept.Length < length) _history[slot] = kept = new byte[Math.Max(length, 1500)];
                buffer.AsSpan(0, length).CopyTo(kept);
                _historyLength[slot] = length;
                _historySeq[slot] = seq;
                var header = RtpPacketView.TryParse(packet, out var view, out _) ? view.HeaderSize + view.PaddingSize : 12;
                _stats = _stats.Sent(BinaryPrimitives.ReadUInt32BigEndian(buffer.AsSpan(4)), packet.Length - header, _pc.MediaNow);
                _headerBytes += length - (packet.Length - header);
            }
            if (DropFilter?.Invoke(seq, false) == true) return;
            _pc.SendSrtp(buffer, length, rtcp: false);
        }
        finally { ArrayPool<byte>.Shared.Return(buffer); }
    }

    /// <summary>
    /// Sends again the packets a NACK names that are still in the history: on the RTX stream when RTX was negotiated
    /// (RFC 4588), else as they were.
    /// </summary>
    internal void Retransmit(IEnumerable<ushort> lost)
    {
        foreach (var seq in lost)
        {
            byte[] buffer;
            int length;
            lock (_lock)
            {
                var slot = seq % HistorySize;
                var kept = _history[slot];
                if (kept is null || _historySeq[slot] != seq) continue;
                length = _historyLength[slot];
                buffer = ArrayPool<byte>.Shared.Rent(length + 64);
                if (_rtxPayloadType >= 0 && _rtxSsrc != 0)
                {
                    length = RtxFormat.Wrap(kept.AsSpan(0, length), buffer, _rtxSsrc, (byte)_rtxPayloadType, _rtxSequence);
                    if (length == 0) { ArrayPool<byte>.Shared.Return(buffer); continue; }
                    _rtxSequence++;
                }
                else kept.AsSpan(0, length).CopyTo(buffer);
                if (_twccId != 0 && RtpExtensionStamp.TrySetTransportSequenceNumber(buffer, length, _twccId, _pc.NextTransportSequenceNumber(), out var stamped))
                    length = stamped; // a retransmission is a new packet on the transport: it gets its own number
            }
            try
            {
                if (DropFilter?.Invoke(seq, true) == true) continue;
                if (_pc.SendSrtp(buffer, length, rtcp: false))
                {
                    Interlocked.Increment(ref _retransmitted);
                    Interlocked.Add(ref _retransmittedBytes, length);
                }
            }
            finally { ArrayPool<byte>.Shared.Return(buffer); }
        }
    }

    /// <summary>
    /// What this sender sends with (W3C getParameters, Pion's GetParameters): its encoding (SSRC, RTX SSRC, payload
    /// type, whether it is active), the negotiated codecs and header extensions of its section, and the RTCP CNAME.
    /// Before negotiation the codec and extension lists are empty and the encoding is inactive.
    /// </summary>
    public RtpSendParameters GetParameters()
    {
        var state = _pc.Snapshot;
        var tx = state.Transceivers.Find(x => x.Index == Transceiver.Index);
        var mid = tx.Bind(x => x.Mid);
        var (codecs, extensions, reduced) = NegotiatedParameters.For(state, mid.IsSome ? (string)mid : null, Transceiver.Kind);
        var track = _track;
        byte? pt = null, rtxPt = null;
        if (track is not null)
            lock (_lock)
            {
                TryResolve(track, out _);
                if (_payloadType >= 0) pt = (byte)_payloadType;
                if (_rtxPayloadType >= 0) rtxPt = (byte)_rtxPayloadType;
            }
        var ssrc = tx.Map(x => x.Ssrc).Filter(x => x != 0).IfNone(Ssrc);
        var rtxSsrc = tx.Map(x => x.RtxSsrc).IfNone(0u);
        var active = track is not null && pt is not null && tx.Exists(x => !x.Stopped && x.CurrentDirection.Exists(d => d.Sends()));
        var encoding = new RtpEncodingParameters(ssrc, rtxPt is not null && rtxSsrc != 0 ? rtxSsrc : null, pt, active);
        return new RtpSendParameters(Arr.create(encoding), codecs, extensions, new RtcpParameters(state.Config.Cname, reduced));
    }

    /// <summary>The negotiated RTX payload type, or null when retransmissions go on the media stream itself.</summary>
    public byte? RtxPayloadType { get { lock (_lock) return _rtxPayloadType < 0 ? null : (byte)_rtxPayloadType; } }

    /// <summary>The sender report for this stream, or null before anything was sent.</summary>
    internal SenderReport? Report(ulong ntp, TimeSpan now)
    {
        lock (_lock) return _stats.Started ? _stats.Report(Ssrc, ntp, now, _clockRate, Seq<ReceptionReport>.Empty) : null;
    }
}
