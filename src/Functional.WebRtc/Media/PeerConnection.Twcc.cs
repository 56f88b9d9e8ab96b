using Functional.WebRtc.Core.Rtp;
using Functional.WebRtc.Core.Sdp;
using Functional.WebRtc.Core.Signaling;
using LanguageExt;
using Microsoft.Extensions.Logging;

namespace Functional.WebRtc;

/// <summary>
/// Transport-wide congestion control (draft-holmer-rmcat-transport-wide-cc-extensions-01) in the shell: when both
/// descriptions negotiated the transport-cc header extension (and the transport-cc rtcp-fb), received packets' transport
/// sequence numbers feed the core's <see cref="TwccRecorder"/> and its feedback goes out as RTCP (RTPFB FMT 15) from a
/// timer; our senders stamp one transport-wide sequence on every packet they send, so the peer can send us feedback.
/// Like the RTCP reports, this runs on the receive loop and the media timer, under its own lock, never on the signaling loop.
/// </summary>
public sealed partial class PeerConnection
{
    /// <summary>How often the recorder is asked whether feedback is due (it sends about every 100 ms while packets arrive).</summary>
    internal static readonly TimeSpan TwccTickInterval = TimeSpan.FromMilliseconds(25);

    private readonly object _twccLock = new();
    private TwccRecorder? _twcc;
    private Timer? _twccTimer;
    private volatile TwccNegotiation? _twccNegotiation;
    private int _transportSequence = System.Security.Cryptography.RandomNumberGenerator.GetInt32(65536);
    private long _twccFeedbackSent, _twccFeedbackReceived;

    /// <summary>The negotiated transport-cc extension id per mid (both descriptions list it), and whether feedback was negotiated.</summary>
    private sealed record TwccNegotiation(SessionDescription? Local, SessionDescription? Remote, IReadOnlyDictionary<string, byte> IdByMid, byte ReceiveId);

    /// <summary>Transport-wide feedback packets this connection sent and received (for stats and tests).</summary>
    internal (long Sent, long Received) TransportCcFeedbackCounts => (Interlocked.Read(ref _twccFeedbackSent), Interlocked.Read(ref _twccFeedbackReceived));

    private TwccNegotiation Twcc()
    {
        var state = _state;
        var local = state.CurrentLocal.IsSome ? (SessionDescription)state.CurrentLocal : null;
        var remote = state.CurrentRemote.IsSome ? (SessionDescription)state.CurrentRemote : null;
        var cached = _twccNegotiation;
        if (cached is not null && ReferenceEquals(cached.Local, local) && ReferenceEquals(cached.Remote, remote)) return cached;
        var made = Negotiate(local, remote);
        _twccNegotiation = made;
        return made;
    }

    private static TwccNegotiation Negotiate(SessionDescription? local, SessionDescription? remote)
    {
        var ids = new Dictionary<string, byte>();
        byte receive = 0;
        var l = local?.TryUnmarshal().Match(s => s, _ => (SdpDescription?)null);
        var r = remote?.TryUnmarshal().Match(s => s, _ => (SdpDescription?)null);
        if (l is not null && r is not null)
        {
            foreach (var rm in r.Media.Filter(m => Jsep.IsRtp(m) && m.Port != 0))
            {
                var mid = Jsep.Mid(rm);
                if (mid.IsNone) continue;
                var lm = l.Media.Find(m => Jsep.Mid(m) == mid && m.Port != 0);
                if (lm.IsNone) continue;
                var theirs = Jsep.Extmaps(rm).Find(e => e.Uri == MediaEngine.TransportCcUri);
                var ours = Jsep.Extmaps((MediaDescription)lm).Find(e => e.Uri == MediaEngine.TransportCcUri);
                if (theirs.IsNone || ours.IsNone) continue;
                var id = ((int Id, string Uri))theirs;
                if (id.Id is < 1 or > 255) continue;
                ids[(string)mid] = (byte)id.Id;
                var kind = Jsep.KindOf(rm);
                static bool Fb(MediaDescription m, MediaKind k) => Jsep.Codecs(m, k).Exists(c => c.Feedback.Exists(f => f.Type == "transport-cc"));
                if (receive == 0 && Fb(rm, kind) && Fb((MediaDescription)lm, kind)) receive = (byte)id.Id;
            }
        }
        return new TwccNegotiation(local, remote, ids, receive);
    }

    /// <summary>The transport-cc extension id a sender on this mid stamps, 0 when not negotiated.</summary>
    internal byte TransportCcSendId(string? mid) => mid is not null && Twcc().IdByMid.TryGetValue(mid, out var id) ? id : (byte)0;

    /// <summary>The next transport-wide sequence number (one counter for every stream of the connection, section 2).</summary>
    internal ushort NextTransportSequenceNumber() => (ushort)Interlocked.Increment(ref _transportSequence);

    /// <summary>On the receive loop: records the packet's transport sequence number when feedback was negotiated.</summary>
    private void RecordTransportCc(ReadOnlySpan<byte> packet, TimeSpan at)
    {
        var id = Twcc().ReceiveId;
        if (id == 0 || !RtpPacketView.TryParse(packet, out var view, out _) || !view.TryGetTransportSequenceNumber(id, out var seq)) return;
        Seq<TransportCcFeedback> feedback;
        lock (_twccLock)
        {
            _twcc ??= TwccRecorder.Create(FeedbackSenderSsrc(), view.Ssrc);
            var step = TwccRecorder.Record(_twcc, seq, at) /* linear: only the returned state is kept */;
            _twcc = step.State;
            feedback = step.Outputs;
        }
        EnsureTwccTimer();
        SendTransportCc(feedback);
    }

    private uint FeedbackSenderSsrc()
    {
        var senders = _senders;
        if (senders.Length > 0) return senders[0].Ssrc;
        return _state.Transceivers.Map(t => t.Ssrc).Find(s => s != 0).IfNone(1u);
    }

    private void SendTransportCc(Seq<TransportCcFeedback> feedback)
    {
        if (feedback.IsEmpty) return; // the common case, per packet: no enumerator
        foreach (var f in feedback)
            if (SendRtcp(Prelude.Seq1<RtcpPacket>(f))) Interlocked.Increment(ref _twccFeedbackSent);
    }

    private void EnsureTwccTimer()
    {
        if (_twccTimer is not null || _mediaClosed) return;
        var timer = new Timer(_ => TwccTick(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        if (Interlocked.CompareExchange(ref _twccTimer, timer, null) is not null) { timer.Dispose(); return; }
        timer.Change(TwccTickInterval, TwccTickInterval);
        if (_mediaClosed) Interlocked.Exchange(ref _twccTimer, null)?.Dispose(); // closed meanwhile: Close may have missed it
    }

    private void TwccTick()
    {
        try
        {
            if (_mediaClosed) return;
            Seq<TransportCcFeedback> feedback;
            lock (_twccLock)
            {
                if (_twcc is null) return;
                var step = TwccRecorder.Tick(_twcc, MediaNow);
                _twcc = step.State;
                feedback = step.Outputs;
            }
            SendTransportCc(feedback);
        }
        catch (Exception e) when (e is ObjectDisposedException or InvalidOperationException)
        {
            _log.LogDebug(e, "{Id} could not send transport-wide feedback", Id);
        }
    }

    /// <summary>On close: the feedback timer goes.</summary>
    private void CloseTwcc() => Interlocked.Exchange(ref _twccTimer, null)?.Dispose();
}
