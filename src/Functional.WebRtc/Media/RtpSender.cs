using System.Buffers;
using System.Buffers.Binary;
using System.Threading.Channels;
using Functional.WebRtc.Core.PeerConnection;
using Functional.WebRtc.Core.Rtp;
using Functional.WebRtc.Core.Sdp;
using Functional.WebRtc.Core.Signaling;
using Functional.WebRtc.Media;
using LanguageExt;

namespace Functional.WebRtc;

/// <summary>
/// Sends one local track on one transceiver (W3C RTCRtpSender, Pion's RTPSender), or several tracks as simulcast layers
/// that share the track id and differ by rid (Pion's AddEncoding, RFC 8853). It rewrites the SSRC and payload type of
/// each packet (each layer has its own SSRC and RTX SSRC), stamps mid and rid on simulcast packets (RFC 8843, RFC 8852),
/// keeps a short history per layer for retransmission on NACK (RFC 4585 6.2.1), counts what it sent for the sender
/// reports, and hands the RTCP that concerns it (PLI, FIR, REMB, receiver reports) to <see cref="ReadRtcpAsync"/>.
/// </summary>
public sealed partial class RtpSender
{
    /// <summary>How many recent packets are kept for retransmission, per layer.</summary>
    public const int HistorySize = 512;

    private readonly PeerConnection _pc;
    private readonly Channel<IReadOnlyList<RtcpPacket>> _rtcp = Channel.CreateBounded<IReadOnlyList<RtcpPacket>>(
        new BoundedChannelOptions(64) { FullMode = BoundedChannelFullMode.DropOldest, SingleWriter = false });
    private readonly object _lock = new();
    private readonly object _addLock = new();
    /// <summary>The layers; the first is the stream sent without simulcast. Replaced whole (copy on write) under the lock.</summary>
    private volatile SendLayer[] _layers;
    private SessionDescription? _resolvedFor, _resolvedLocal;
    private Transceiver? _resolvedTx;
    private int _payloadType = -1;
    private int _rtxPayloadType = -1;
    private uint _clockRate = 90000;
    private byte _twccId;          // the negotiated transport-cc extension id, 0 when not negotiated
    private byte _midId, _ridId, _repairedRidId; // the negotiated sdes:mid, rtp-stream-id, repaired-rtp-stream-id ids, 0 when not
    private byte[] _midBytes = [];
    private string[] _negotiatedRids = []; // the layers the negotiation accepted (RFC 8853 5.3); empty: the first layer alone, no rid
    private bool _stampMid;         // a simulcast sender's offer has no a=ssrc lines: the peer finds its section by mid
    private volatile bool _stopped;
    private RtpSendParameters? _lastReturned;
    private long _transactions;

    internal RtpSender(PeerConnection pc, RtpTransceiver transceiver, TrackLocal track, uint ssrc)
    {
        _pc = pc;
        Transceiver = transceiver;
        _layers = [new SendLayer(track, track.Rid) { Ssrc = ssrc }];
    }

    /// <summary>The track being sent (the first layer's), or null after <see cref="ReplaceTrack"/>(null) or RemoveTrack.</summary>
    public TrackLocal? Track => _layers[0].Track;
    public RtpTransceiver Transceiver { get; }
    /// <summary>The SSRC this sender's packets carry (announced in a=ssrc); the first layer's with simulcast.</summary>
    public uint Ssrc => Volatile.Read(ref _layers[0].Ssrc);
    /// <summary>The negotiated payload type, or null before negotiation completes.</summary>
    public byte? PayloadType { get { lock (_lock) return _payloadType < 0 ? null : (byte)_payloadType; } }
    /// <summary>Packets and payload octets sent so far (as in the sender reports), summed over the layers.</summary>
    public (uint Packets, uint Octets) Sent
    {
        get
        {
            lock (_lock)
            {
                uint packets = 0, octets = 0;
                foreach (var l in _layers) { packets += l.Stats.PacketCount; octets += l.Stats.OctetCount; }
                return (packets, octets);
            }
        }
    }
    /// <summary>Packets sent again because the peer NACKed them.</summary>
    public long Retransmitted { get { lock (_lock) return _layers.Sum(l => l.Retransmitted); } }
    /// <summary>Header and padding octets of the packets sent (W3C headerBytesSent), and octets sent again (retransmittedBytesSent).</summary>
    internal (long HeaderBytes, long RetransmittedBytes) SentBytes { get { lock (_lock) return (_layers.Sum(l => l.HeaderBytes), _layers.Sum(l => l.RetransmittedBytes)); } }

    /// <summary>The rids of the layers, in order; empty entries for a layer without a rid.</summary>
    public IReadOnlyList<string?> Rids => _layers.Select(l => l.Rid).ToList();

    /// <summary>
    /// True when a packet written now would go out: the transceiver negotiated sending with a codec for the track, and
    /// DTLS has made the SRTP keys on a selected ICE pair.
    /// </summary>
    public bool CanSend
    {
        get
        {
            if (Track is null || !_pc.MediaConnected) return false;
            lock (_lock) return TryResolve(out _);
        }
    }

    /// <summary>
    /// Test hook: a packet (sequence number, whether it is a retransmission) for which this returns true is not sent,
    /// though kept in the history (a loss on purpose).
    /// </summary>
    internal Func<ushort, bool, bool>? DropFilter { get; set; }

    /// <summary>
    /// Sends another track (or nothing) in place of the first layer's, without renegotiation (W3C replaceTrack). The new
    /// track must be of the same kind; the negotiated payload type is looked up again for its codec.
    /// </summary>
    public void ReplaceTrack(TrackLocal? track)
    {
        if (track is not null && track.Kind != Transceiver.Kind)
            throw new InvalidModificationException(new Core.RtcError.InvalidModification($"cannot replace a {Transceiver.Kind} track with a {track.Kind} one"));
        var layer = _layers[0];
        var old = layer.Track;
        if (ReferenceEquals(old, track)) return;
        old?.Unbind(this);
        lock (_lock) { _resolvedFor = null; _payloadType = -1; _rtxPayloadType = -1; layer.Track = track; }
        track?.Bind(this);
    }

    /// <summary>
    /// Adds a simulcast layer (Pion's AddEncoding): <paramref name="track"/> sends under its rid on its own SSRC. Every
    /// layer's track has the same id, stream id and codec as the first, and a rid of its own; the first track must have
    /// a rid too. Call before the negotiation that sends them: the offer then lists the layers (a=rid send,
    /// a=simulcast:send, RFC 8853). Throws InvalidModificationException when a rule is broken or sending was already
    /// negotiated with other layers, InvalidStateException when the sender is stopped.
    /// </summary>
    public void AddEncoding(TrackLocal track)
    {
        ArgumentNullException.ThrowIfNull(track);
        if (_stopped) throw new InvalidStateException(new Core.RtcError.InvalidState("the sender is stopped"));
        static InvalidModificationException Bad(string why) => new(new Core.RtcError.InvalidModification(why));
        lock (_addLock) // one AddEncoding at a time; not the packet lock, as the call below waits for the connection's loop
        {
            var layers = _layers;
            var first = layers[0].Track ?? throw new InvalidStateException(new Core.RtcError.InvalidState("the sender has no track"));
            if (first.Rid is null) throw Bad("the sender's first track has no rid");
            if (track.Rid is null) throw Bad("the track has no rid");
            if (track.Id != first.Id || track.StreamId != first.StreamId) throw Bad("a layer's track must have the id and stream id of the first");
            if (track.Codec != first.Codec) throw Bad("a layer's track must have the codec of the first");
            if (layers.Any(l => l.Rid == track.Rid)) throw Bad($"the sender already has a layer with rid {track.Rid}");
            _pc.Call(new PeerInput.SetSendEncodings(Transceiver.Index, [.. layers.Select(l => l.Rid!), track.Rid]));
            lock (_lock)
            {
                _layers = [.. layers, new SendLayer(track, track.Rid)];
                _resolvedTx = null;
            }
        }
        track.Bind(this);
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
        _stopped = true;
        foreach (var layer in _layers)
        {
            layer.Track?.Unbind(this);
            layer.Track = null;
        }
        _rtcp.Writer.TryComplete();
    }

    /// <summary>Whether one of this sender's layers (or their RTX streams) has <paramref name="ssrc"/>.</summary>
    internal bool HasSsrc(uint ssrc)
    {
        foreach (var l in _layers) if (l.Ssrc == ssrc) return true;
        return false;
    }

    /// <summary>
    /// What the descriptions say for this transceiver's mid, cached per pair of current descriptions: the payload type for
    /// the track's codec and its RTX one, the header extension ids, the layers the negotiation accepted; then whether the
    /// transceiver negotiated sending, with the SSRCs of each layer. Called under the lock.
    /// </summary>
    private bool TryResolve(out byte payloadType)
    {
        var state = _pc.Snapshot;
        var remote = state.CurrentRemote.IsSome ? (SessionDescription)state.CurrentRemote : null;
        var local = state.CurrentLocal.IsSome ? (SessionDescription)state.CurrentLocal : null;
        payloadType = 0;
        var track = FirstTrack();
        if (remote is null || track is null) return false;
        if (!ReferenceEquals(remote, _resolvedFor) || !ReferenceEquals(local, _resolvedLocal))
        {
            _resolvedFor = remote;
            _resolvedLocal = local;
            var mid = state.Transceivers.Find(x => x.Index == Transceiver.Index).Bind(x => x.Mid);
            var midText = mid.IsSome ? (string)mid : null;
            (_payloadType, _rtxPayloadType) = ResolvePayloadType(remote, midText, track.Codec);
            _clockRate = (uint)Math.Max(1, track.Codec.ClockRate);
            _twccId = _pc.TransportCcSendId(midText);
            var (remoteSection, localSection) = (Section(remote, midText), local is null ? null : Section(local, midText));
            var answer = state.CurrentLocal.Exists(l => l.Type == SdpType.Answer) ? localSection : remoteSection;
            var ids = answer is null ? Arr<(int Id, string Uri)>.Empty : Jsep.Extmaps(answer);
            byte IdOf(string uri) => ids.Find(e => e.Uri == uri).Map(e => (byte)e.Id).IfNone(0);
            (_midId, _ridId, _repairedRidId) = (IdOf(MediaEngine.MidUri), IdOf(MediaEngine.RidUri), IdOf(MediaEngine.RepairedRidUri));
            _midBytes = System.Text.Encoding.ASCII.GetBytes(midText ?? "");
            // Without the rtp-stream-id extension the peer could not tell the layers apart: then no simulcast, as libwebrtc.
            _negotiatedRids = localSection is null || remoteSection is null || _ridId == 0 ? [] : [.. SimulcastSend.NegotiatedRids(localSection, remoteSection)];
            _resolvedTx = null;
        }
        if (_payloadType < 0) return false;
        Transceiver? tx = null;
        var transceivers = state.Transceivers;
        for (var i = 0; i < transceivers.Count; i++) // no closure or boxed enumerator per packet
            if (transceivers[i].Index == Transceiver.Index) { tx = transceivers[i]; break; }
        if (tx is null) return false;
        if (tx.Stopped || !tx.CurrentDirection.Exists(d => d.Sends())) return false;
        if (!ReferenceEquals(tx, _resolvedTx)) LayerSsrcs(tx);
        payloadType = (byte)_payloadType;
        return true;
    }

    /// <summary>Each layer's SSRCs as the transceiver has them: by rid from its encodings, the first layer's also from a=ssrc.</summary>
    private void LayerSsrcs(Transceiver tx)
    {
        _resolvedTx = tx;
        _stampMid = tx.Encodings.Count > 1;
        var layers = _layers;
        for (var i = 0; i < layers.Length; i++)
        {
            var layer = layers[i];
            var encoding = layer.Rid is null ? Option<SendEncoding>.None : tx.Encodings.Find(e => e.Rid == layer.Rid);
            if (encoding.IsSome) { Volatile.Write(ref layer.Ssrc, ((SendEncoding)encoding).Ssrc); layer.RtxSsrc = ((SendEncoding)encoding).RtxSsrc; }
            else if (i == 0 && tx.Ssrc != 0) { Volatile.Write(ref layer.Ssrc, tx.Ssrc); layer.RtxSsrc = tx.RtxSsrc; }
        }
    }

    private TrackLocal? FirstTrack()
    {
        foreach (var l in _layers) if (l.Track is { } t) return t;
        return null;
    }

    /// <summary>Whether a layer's packets go out now: it is active, and the negotiation accepted it.</summary>
    private bool Sends(SendLayer layer, int index) => layer.Active && Accepted(layer, index);

    /// <summary>Whether the negotiation accepted a layer: its rid is negotiated, or without simulcast it is the first layer.</summary>
    private bool Accepted(SendLayer layer, int index) =>
        _negotiatedRids.Length == 0 ? index == 0 : layer.Rid is not null && Array.IndexOf(_negotiatedRids, layer.Rid) >= 0;

    private static MediaDescription? Section(SessionDescription description, string? mid) =>
        mid is null ? null : description.TryUnmarshal().Match(
            sdp => sdp.Media.Find(m => Jsep.Mid(m) == mid && m.Port != 0 && Jsep.IsRtp(m)).Match(m => m, () => (MediaDescription?)null),
            _ => null);

    /// <summary>The codec's payload type and its RTX payload type (fmtp apt=, RFC 4588 8.6), -1 when not negotiated.</summary>
    private static (int PayloadType, int Rtx) ResolvePayloadType(SessionDescription remote, string? mid, RtpCodecCapability codec)
    {
        var m = Section(remote, mid);
        if (m is null) return (-1, -1);
        var codecs = Jsep.Codecs(m, codec.Kind);
        var pt = codecs.Find(c => !c.IsRtx && Matches(codec, c)).Map(c => (int)c.PayloadType).IfNone(-1);
        var rtx = pt < 0 ? -1 : codecs.Find(c => c.IsRtx && c.Apt.Exists(a => a == pt)).Map(c => (int)c.PayloadType).IfNone(-1);
        return (pt, rtx);
    }

    private static bool Matches(RtpCodecCapability ours, RtpCodec theirs)
    {
        if (!ours.Name.Equals(theirs.Name, StringComparison.OrdinalIgnoreCase)) return false;
        if (ours.Fmtp.Length == 0) return ours.ClockRate == theirs.ClockRate;
        var mine = new RtpCodec(ours.Kind, ours.MimeType, ours.ClockRate, ours.Channels, ours.Fmtp, 0, Arr<Core.Signaling.RtcpFeedback>.Empty);
        return MediaEngine.Matches(mine, theirs.Name, theirs.ClockRate, theirs.Channels, theirs.Fmtp);
    }

    /// <summary>
    /// One packet from one of the layers' tracks: rewrite, remember, stamp, protect, send. Dropped while not negotiated or
    /// connected, and for a layer that is inactive or that the negotiation did not accept.
    /// </summary>
    internal void SendRtp(TrackLocal from, ReadOnlySpan<byte> packet)
    {
        if (packet.Length < RtpPacketView.FixedHeaderSize) return;
        var layers = _layers;
        var index = -1;
        for (var i = 0; i < layers.Length; i++)
            if (ReferenceEquals(layers[i].Track, from)) { index = i; break; }
        if (index < 0) return;
        var layer = layers[index];
        var buffer = ArrayPool<byte>.Shared.Rent(packet.Length + 64 + RtpExtensionStamp.MaxGrowth(2) + 2 * RtpExtensionStamp.MaxGrowth(SimulcastSend.MaxRidLength));
        try
        {
            ushort seq;
            var length = packet.Length;
            lock (_lock)
            {
                if (!TryResolve(out var pt) || !Sends(layer, index)) return;
                packet.CopyTo(buffer);
                if (!new RtpRewrite(layer.Ssrc, pt).Apply(buffer.AsSpan(0, length))) return; // our SSRC and negotiated payload type
                seq = BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(2));
                // The transport-wide sequence number (transport-cc), when negotiated: the peer's feedback refers to it.
                if (_twccId != 0 && RtpExtensionStamp.TrySetTransportSequenceNumber(buffer, length, _twccId, _pc.NextTransportSequenceNumber(), out var stamped))
                    length = stamped;
                var slot = seq % HistorySize;
                var kept = layer.History[slot];
                if (kept is null || kept.Length < length) layer.History[slot] = kept = new byte[Math.Max(length, 1500)];
                buffer.AsSpan(0, length).CopyTo(kept);
                layer.HistoryLength[slot] = length;
                layer.HistorySeq[slot] = seq;
                length = StampIds(buffer, length, layer, repair: false);
                var header = RtpPacketView.TryParse(packet, out var view, out _) ? view.HeaderSize + view.PaddingSize : 12;
                var timestamp = BinaryPrimitives.ReadUInt32BigEndian(buffer.AsSpan(4));
                layer.Stats = layer.Stats.Sent(timestamp, packet.Length - header, _pc.MediaNow);
                layer.HeaderBytes += length - (packet.Length - header);
                layer.Frames.Packet(timestamp, _pc.MediaNow);
            }
            if (DropFilter?.Invoke(seq, false) == true) return;
            _pc.SendSrtp(buffer, length, rtcp: false);
        }
        finally { ArrayPool<byte>.Shared.Return(buffer); }
    }

    /// <summary>
    /// A simulcast packet names its section and its layer (RFC 8843 15, RFC 8852 3): sdes:mid, and rtp-stream-id on a
    /// layer's packets or repaired-rtp-stream-id on its RTX packets. Not stamped without simulcast (a=ssrc names the stream).
    /// </summary>
    private int StampIds(byte[] buffer, int length, SendLayer layer, bool repair)
    {
        if (_stampMid && _midId != 0 && _midBytes.Length > 0 && RtpExtensionStamp.TrySet(buffer, length, _midId, _midBytes, out var withMid))
            length = withMid;
        var id = repair ? _repairedRidId : _ridId;
        if (_negotiatedRids.Length > 0 && id != 0 && layer.RidBytes.Length > 0 && RtpExtensionStamp.TrySet(buffer, length, id, layer.RidBytes, out var withRid))
            length = withRid;
        return length;
    }

    /// <summary>
    /// Sends again the packets a NACK about a layer's SSRC (the first layer's by default) names that are still in that layer's history: on
    /// its RTX stream when RTX was negotiated (RFC 4588), else as they were.
    /// </summary>
    internal void Retransmit(IEnumerable<ushort> lost) => Retransmit(Ssrc, lost);

    /// <inheritdoc cref="Retransmit(IEnumerable{ushort})"/>
    internal void Retransmit(uint mediaSsrc, IEnumerable<ushort> lost)
    {
        SendLayer? layer = null;
        foreach (var l in _layers) if (l.Ssrc == mediaSsrc) { layer = l; break; }
        if (layer is null) return;
        foreach (var seq in lost)
        {
            byte[] buffer;
            int length;
            lock (_lock)
            {
                var slot = seq % HistorySize;
                var kept = layer.History[slot];
                if (kept is null || layer.HistorySeq[slot] != seq) continue;
                length = layer.HistoryLength[slot];
                buffer = ArrayPool<byte>.Shared.Rent(length + 64 + 2 * RtpExtensionStamp.MaxGrowth(SimulcastSend.MaxRidLength));
                var rtx = _rtxPayloadType >= 0 && layer.RtxSsrc != 0;
                if (rtx)
                {
                    length = RtxFormat.Wrap(kept.AsSpan(0, length), buffer, layer.RtxSsrc, (byte)_rtxPayloadType, layer.RtxSequence);
                    if (length == 0) { ArrayPool<byte>.Shared.Return(buffer); continue; }
                    layer.RtxSequence++;
                }
                else kept.AsSpan(0, length).CopyTo(buffer);
                if (_twccId != 0 && RtpExtensionStamp.TrySetTransportSequenceNumber(buffer, length, _twccId, _pc.NextTransportSequenceNumber(), out var stamped))
                    length = stamped; // a retransmission is a new packet on the transport: it gets its own number
                length = StampIds(buffer, length, layer, repair: rtx);
            }
            try
            {
                if (DropFilter?.Invoke(seq, true) == true) continue;
                if (_pc.SendSrtp(buffer, length, rtcp: false))
                    lock (_lock)
                    {
                        layer.Retransmitted++;
                        layer.RetransmittedBytes += length;
                    }
            }
            finally { ArrayPool<byte>.Shared.Return(buffer); }
        }
    }

    /// <summary>
    /// What this sender sends with (W3C getParameters, Pion's GetParameters): an encoding per layer (SSRC, RTX SSRC,
    /// payload type, rid, whether it is sent now, and what SetParameters set), the negotiated codecs and header extensions
    /// of its section, and the RTCP CNAME. Before negotiation the codec and extension lists are empty and the encodings
    /// are inactive. The result's TransactionId is what <see cref="SetParameters"/> expects back.
    /// </summary>
    public RtpSendParameters GetParameters()
    {
        var state = _pc.Snapshot;
        var tx = state.Transceivers.Find(x => x.Index == Transceiver.Index);
        var mid = tx.Bind(x => x.Mid);
        var (codecs, extensions, reduced) = NegotiatedParameters.For(state, mid.IsSome ? (string)mid : null, Transceiver.Kind);
        var sending = tx.Exists(x => !x.Stopped && x.CurrentDirection.Exists(d => d.Sends()));
        lock (_lock)
        {
            var resolved = TryResolve(out _);
            byte? pt = _payloadType >= 0 ? (byte)_payloadType : null, rtxPt = _rtxPayloadType >= 0 ? (byte)_rtxPayloadType : null;
            var layers = _layers;
            var encodings = new List<RtpEncodingParameters>(layers.Length);
            for (var i = 0; i < layers.Length; i++)
            {
                var l = layers[i];
                var ssrc = l.Ssrc;
                var rtxSsrc = l.RtxSsrc;
                if (!resolved)
                {
                    // Before negotiation: the SSRCs the transceiver will announce.
                    var encoding = l.Rid is null ? Option<SendEncoding>.None : tx.Bind(x => x.Encodings.Find(e => e.Rid == l.Rid));
                    if (encoding.IsSome) (ssrc, rtxSsrc) = (((SendEncoding)encoding).Ssrc, ((SendEncoding)encoding).RtxSsrc);
                    else if (i == 0) (ssrc, rtxSsrc) = (tx.Map(x => x.Ssrc).Filter(x => x != 0).IfNone(ssrc), tx.Map(x => x.RtxSsrc).IfNone(0u));
                }
                var active = l.Track is not null && pt is not null && sending && Sends(l, i);
                encodings.Add(new RtpEncodingParameters(ssrc, rtxPt is not null && rtxSsrc != 0 ? rtxSsrc : null, pt, active, l.Rid,
                    l.MaxBitrate, l.ScaleResolutionDownBy));
            }
            var transaction = Interlocked.Increment(ref _transactions).ToString(System.Globalization.CultureInfo.InvariantCulture);
            var p = new RtpSendParameters(encodings.ToArr(), codecs, extensions, new RtcpParameters(state.Config.Cname, reduced), transaction);
            _lastReturned = p;
            return p;
        }
    }

    /// <summary>
    /// Changes how the layers are sent (W3C setParameters), taking parameters from the last <see cref="GetParameters"/>:
    /// an encoding set inactive sends nothing until set active again; MaxBitrate and ScaleResolutionDownBy are kept (this
    /// sender does not encode: they are for the application's encoders, and GetParameters returns them). Throws
    /// InvalidStateException when the sender is stopped, has not negotiated sending yet, or GetParameters was not called
    /// since the last SetParameters,
    /// InvalidModificationException for a stale TransactionId or a change to what cannot change (the number of encodings,
    /// their rids and SSRCs, payload types, codecs, header extensions, RTCP), RtcRangeException for
    /// ScaleResolutionDownBy below 1.
    /// </summary>
    public void SetParameters(RtpSendParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        static InvalidModificationException Bad(string why) => new(new Core.RtcError.InvalidModification(why));
        if (_stopped || _pc.Snapshot.IsClosed || Transceiver.Stopped)
            throw new InvalidStateException(new Core.RtcError.InvalidState("the sender is stopped"));
        lock (_lock)
        {
            var last = _lastReturned ?? throw new InvalidStateException(new Core.RtcError.InvalidState("call GetParameters before SetParameters"));
            if (parameters.TransactionId != last.TransactionId) throw Bad("the parameters are not those of the last GetParameters");
            if (parameters.Encodings.Count != last.Encodings.Count) throw Bad("the number of encodings cannot change");
            for (var i = 0; i < last.Encodings.Count; i++)
            {
                var (given, was) = (parameters.Encodings[i], last.Encodings[i]);
                if (given.Rid != was.Rid) throw Bad("the rid of an encoding cannot change");
                if (given.Ssrc != was.Ssrc || given.RtxSsrc != was.RtxSsrc || given.PayloadType != was.PayloadType)
                    throw Bad("the SSRCs and payload type of an encoding cannot change");
                if (given.ScaleResolutionDownBy is < 1.0 or double.NaN)
                    throw new RtcRangeException(new Core.RtcError.Range("scaleResolutionDownBy must be at least 1"));
            }
            if (!parameters.Codecs.SequenceEqual(last.Codecs) || !parameters.HeaderExtensions.SequenceEqual(last.HeaderExtensions) || parameters.Rtcp != last.Rtcp)
                throw Bad("codecs, header extensions and RTCP parameters cannot change");
            // libwebrtc likewise refuses parameters made before negotiation: they lack the negotiated values.
            if (!TryResolve(out _)) throw new InvalidStateException(new Core.RtcError.InvalidState("the sender has not negotiated sending yet"));
            var layers = _layers;
            for (var i = 0; i < layers.Length; i++)
            {
                var (given, was) = (parameters.Encodings[i], last.Encodings[i]);
                // GetParameters reports whether a layer is sent: for a layer the negotiation accepted that is its flag; a
                // layer it did not accept reads inactive, and handing that back unchanged leaves the layer's flag alone.
                if (given.Active != was.Active) layers[i].Active = given.Active;
                layers[i].MaxBitrate = given.MaxBitrate;
                layers[i].ScaleResolutionDownBy = given.ScaleResolutionDownBy;
            }
            _lastReturned = null; // W3C: the next SetParameters needs a new GetParameters
        }
    }

    /// <summary>The values addTransceiver's sendEncodings give a layer before anything is negotiated.</summary>
    internal void InitEncoding(int index, bool active, ulong? maxBitrate, double? scaleResolutionDownBy)
    {
        lock (_lock)
        {
            var layer = _layers[index];
            (layer.Active, layer.MaxBitrate, layer.ScaleResolutionDownBy) = (active, maxBitrate, scaleResolutionDownBy);
        }
    }

    /// <summary>The negotiated RTX payload type, or null when retransmissions go on the media stream itself.</summary>
    public byte? RtxPayloadType { get { lock (_lock) return _rtxPayloadType < 0 ? null : (byte)_rtxPayloadType; } }

    /// <summary>The sender reports for this sender's layers, none for a layer before anything was sent.</summary>
    internal IEnumerable<SenderReport> Reports(ulong ntp, TimeSpan now)
    {
        lock (_lock)
            return _layers.Where(l => l.Stats.Started)
                .Select(l => l.Stats.Report(l.Ssrc, ntp, now, _clockRate, Seq<ReceptionReport>.Empty)).ToList();
    }

    /// <summary>What outbound-rtp reports for each layer that sent something (the first layer always).</summary>
    internal IReadOnlyList<SendLayerStats> LayerStats(TimeSpan now)
    {
        lock (_lock)
        {
            var layers = _layers;
            var result = new List<SendLayerStats>(layers.Length);
            for (var i = 0; i < layers.Length; i++)
            {
                var l = layers[i];
                if (i > 0 && !l.Stats.Started) continue;
                result.Add(new SendLayerStats(l.Ssrc, l.Rid, l.Stats.PacketCount, l.Stats.OctetCount, l.HeaderBytes, l.Retransmitted,
                    l.RetransmittedBytes, l.Frames.Frames, l.Frames.PerSecond(now), l.Active));
            }
            return result;
        }
    }
}
