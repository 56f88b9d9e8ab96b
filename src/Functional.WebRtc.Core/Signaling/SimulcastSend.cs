using Functional.WebRtc.Core.PeerConnection;
using Functional.WebRtc.Core.Sdp;
using LanguageExt;

namespace Functional.WebRtc.Core.Signaling;

/// <summary>
/// One RTP stream a sender sends under a rid (W3C RTCRtpEncodingParameters with a rid, Pion's RTPEncodingParameters):
/// a simulcast layer with its own SSRC and the SSRC of its RTX repair stream (RFC 8853, RFC 8852, RFC 4588).
/// </summary>
public sealed record SendEncoding(string Rid, uint Ssrc, uint RtxSsrc);

/// <summary>
/// Sending simulcast as pure functions: which rids a transceiver may have, the a=rid send and a=simulcast:send lines of
/// an offer or of an answer to a simulcast-receive offer (RFC 8853 5.3, RFC 8851 4), and which layers a negotiation
/// accepted.
/// </summary>
public static class SimulcastSend
{
    /// <summary>The most layers one sender may have (browsers send at most 3 or 4).</summary>
    public const int MaxEncodings = 8;

    /// <summary>The longest rid: a one-byte RFC 8285 element carries at most 16 bytes, and W3C caps rids at 16 characters.</summary>
    public const int MaxRidLength = 16;

    /// <summary>rid-id = 1*(alpha-numeric / "-" / "_") (RFC 8851 10), at most <see cref="MaxRidLength"/> characters.</summary>
    public static bool IsValidRid(string? rid)
    {
        if (string.IsNullOrEmpty(rid) || rid.Length > MaxRidLength) return false;
        foreach (var c in rid)
            if (!(char.IsAsciiLetterOrDigit(c) || c == '-' || c == '_')) return false;
        return true;
    }

    /// <summary>
    /// The transceiver with these rids as its send encodings: the first takes the transceiver's own SSRCs (the stream it
    /// sends without simulcast), a rid it already had keeps its SSRCs, a new one gets fresh ones from the entropy.
    /// No rids clears the list. Errors: TypeError for a bad rid, InvalidAccess for a repeated one, Range for too many,
    /// InvalidState for a stopped transceiver or one without a track, InvalidModification once sending was negotiated
    /// with other rids (W3C setParameters: the encodings may not change after negotiation).
    /// </summary>
    public static Either<RtcError, (Transceiver Transceiver, Entropy Entropy)> WithEncodings(Transceiver t, IReadOnlyList<string> rids, Entropy entropy)
    {
        if (t.Stopped) return new RtcError.InvalidState("the transceiver is stopped");
        if (t.Sender.IsNone) return new RtcError.InvalidState("the transceiver has no track to send");
        if (rids.Count > MaxEncodings) return new RtcError.Range($"at most {MaxEncodings} encodings");
        var seen = new System.Collections.Generic.HashSet<string>(StringComparer.Ordinal);
        foreach (var rid in rids)
        {
            if (!IsValidRid(rid)) return new RtcError.Type($"invalid rid '{rid}' (RFC 8851: 1 to {MaxRidLength} of A-Z a-z 0-9 - _)");
            if (!seen.Add(rid)) return new RtcError.InvalidAccess($"rid '{rid}' is repeated");
        }
        var current = Rids(t);
        if (t.CurrentDirection.Exists(d => d.Sends()) && !current.SequenceEqual(rids))
            return new RtcError.InvalidModification("the encodings of a sender cannot change once sending was negotiated");
        var encodings = new List<SendEncoding>(rids.Count);
        for (var i = 0; i < rids.Count; i++)
        {
            var kept = t.Encodings.Find(e => e.Rid == rids[i]);
            if (i == 0) { encodings.Add(new SendEncoding(rids[i], t.Ssrc, t.RtxSsrc)); continue; }
            if (kept.IsSome && ((SendEncoding)kept).Ssrc != t.Ssrc) { encodings.Add((SendEncoding)kept); continue; }
            var (a, e1) = entropy.NextUInt32();
            var (b, e2) = e1.NextUInt32();
            entropy = e2;
            encodings.Add(new SendEncoding(rids[i], a | 1, b | 1));
        }
        return (t with { Encodings = encodings.ToArr() }, entropy);
    }

    /// <summary>The rids of a transceiver's send encodings, in order.</summary>
    public static Arr<string> Rids(Transceiver t) => t.Encodings.Map(e => e.Rid);

    /// <summary>Whether a transceiver sends simulcast: it sends a track in two or more rid layers.</summary>
    public static bool IsSimulcast(Transceiver t) => t.Encodings.Count > 1 && t.Sender.IsSome;

    /// <summary>
    /// The lines an offer carries for a simulcast sender (RFC 8853 5.3.1, RFC 8851 4.1): a=rid:&lt;rid&gt; send for each
    /// layer and a=simulcast:send with one stream per layer, in the sender's order. None without simulcast.
    /// </summary>
    public static Arr<SdpAttribute> OfferAttributes(Transceiver t) =>
        IsSimulcast(t) ? Lines(t.Encodings.Map(e => new SimulcastRid(e.Rid))) : Arr<SdpAttribute>.Empty;

    /// <summary>
    /// The lines of an answer that sends simulcast (RFC 8853 5.3.2): the layers the offer's a=simulcast:recv asks for
    /// (declared there with a=rid:&lt;rid&gt; recv) that the sender has, in the offer's order, paused ones kept paused.
    /// None when the answer does not send, the sender has no layers, or the offer asks for none of them: then the first
    /// layer alone is sent as a plain stream (JSEP 5.3.1).
    /// </summary>
    public static Arr<SdpAttribute> AnswerAttributes(Transceiver t, MediaDescription offered, Direction answerDirection)
    {
        if (!answerDirection.Sends() || !IsSimulcast(t)) return Arr<SdpAttribute>.Empty;
        var ours = Rids(t).ToHashSet();
        var declared = offered.Rids().Filter(r => r.Direction == RidDirection.Recv).Map(r => r.Id).ToHashSet();
        var asked = offered.GetSimulcast().Map(s => s.Receive).IfNone(Arr<Arr<SimulcastRid>>.Empty);
        var seen = new System.Collections.Generic.HashSet<string>(StringComparer.Ordinal);
        var layers = asked.Bind(alternatives => alternatives)
            .Filter(r => ours.Contains(r.Id) && declared.Contains(r.Id) && seen.Add(r.Id));
        return layers.IsEmpty ? Arr<SdpAttribute>.Empty : Lines(layers.ToArr());
    }

    private static Arr<SdpAttribute> Lines(Arr<SimulcastRid> layers)
    {
        var lines = layers.Map(r => new Rid(r.Id, RidDirection.Send).ToAttribute()).ToList();
        lines.Add(new Simulcast(layers.Map(r => Arr.create(r)), Arr<Arr<SimulcastRid>>.Empty).ToAttribute());
        return lines.ToArr();
    }

    /// <summary>
    /// The rids a negotiation accepted for sending (RFC 8853 5.3): those our section's a=simulcast:send lists that the
    /// peer's section lists in a=simulcast:recv, in our order. Holds whichever side offered, since an answer lists a
    /// subset of the offer. Empty when either side has no simulcast: then only the first layer is sent, without a rid.
    /// </summary>
    public static Arr<string> NegotiatedRids(MediaDescription local, MediaDescription remote)
    {
        var sent = local.GetSimulcast().Map(s => s.Send).IfNone(Arr<Arr<SimulcastRid>>.Empty);
        if (sent.IsEmpty) return Arr<string>.Empty;
        var received = remote.GetSimulcast().Map(s => s.Receive).IfNone(Arr<Arr<SimulcastRid>>.Empty)
            .Bind(alternatives => alternatives).Map(r => r.Id).ToHashSet();
        var seen = new System.Collections.Generic.HashSet<string>(StringComparer.Ordinal);
        return sent.Bind(alternatives => alternatives).Map(r => r.Id).Filter(id => received.Contains(id) && seen.Add(id)).ToArr();
    }

    /// <summary>
    /// Negotiation is needed (W3C 4.7.3, as for a changed msid) when our last offer's section sends other rids than the
    /// transceiver now has; an answer's rids are the peer's choice and need no new offer.
    /// </summary>
    public static bool OfferedRidsDiffer(Transceiver t, MediaDescription offeredSection)
    {
        var offered = offeredSection.Rids().Filter(r => r.Direction == RidDirection.Send).Map(r => r.Id);
        var wanted = IsSimulcast(t) ? Rids(t).ToSeq() : Seq<string>.Empty;
        return !offered.SequenceEqual(wanted);
    }
}
