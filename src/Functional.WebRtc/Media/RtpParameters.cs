using Functional.WebRtc.Core.PeerConnection;
using Functional.WebRtc.Core.Sdp;
using Functional.WebRtc.Core.Signaling;
using LanguageExt;

namespace Functional.WebRtc.Media;

/// <summary>A negotiated codec (W3C RTCRtpCodecParameters): its payload type and what its rtpmap and fmtp lines say.</summary>
public sealed record RtpCodecParameters(byte PayloadType, string MimeType, int ClockRate, int Channels, string SdpFmtpLine);

/// <summary>A negotiated header extension (W3C RTCRtpHeaderExtensionParameters): its URI and the a=extmap id.</summary>
public sealed record RtpHeaderExtensionParameters(string Uri, int Id);

/// <summary>
/// One RTP stream (W3C RTCRtpEncodingParameters, Pion's RTPEncodingParameters): its SSRC, the SSRC of its RTX repair
/// stream (RFC 4588) when RTX was negotiated, the payload type its packets carry, its rid (RFC 8851) when it has one,
/// whether it is being sent (or received), and for a sender what SetParameters may change besides Active: the most
/// bits per second and how much smaller than the source the layer is (W3C maxBitrate, scaleResolutionDownBy).
/// </summary>
public sealed record RtpEncodingParameters(uint Ssrc, uint? RtxSsrc, byte? PayloadType, bool Active, string? Rid = null,
    ulong? MaxBitrate = null, double? ScaleResolutionDownBy = null);

/// <summary>W3C RTCRtcpParameters: the CNAME of the RTCP SDES (RFC 3550 6.5.1) and whether reduced-size RTCP (RFC 5506) was negotiated.</summary>
public sealed record RtcpParameters(string Cname, bool ReducedSize);

/// <summary>
/// What a sender sends with, after negotiation (W3C RTCRtpSendParameters, Pion's RTPSendParameters). Change encodings
/// with <c>with</c> and hand the result to RtpSender.SetParameters; TransactionId ties it to the GetParameters that made it.
/// </summary>
public sealed record RtpSendParameters(
    Arr<RtpEncodingParameters> Encodings,
    Arr<RtpCodecParameters> Codecs,
    Arr<RtpHeaderExtensionParameters> HeaderExtensions,
    RtcpParameters Rtcp,
    string TransactionId = "");

/// <summary>What a receiver receives with, after negotiation (W3C RTCRtpReceiveParameters, Pion's RTPReceiveParameters).</summary>
public sealed record RtpReceiveParameters(
    Arr<RtpEncodingParameters> Encodings,
    Arr<RtpCodecParameters> Codecs,
    Arr<RtpHeaderExtensionParameters> HeaderExtensions,
    RtcpParameters Rtcp);

/// <summary>Reads the negotiated codecs and header extensions of one m-section from the current descriptions.</summary>
internal static class NegotiatedParameters
{
    /// <summary>
    /// The codecs and header extensions of the section with <paramref name="mid"/>: those of the answer (the remote
    /// description when we offered, our own when we answered; JSEP 5.3.1 makes the answer the intersection), else the
    /// remote section's ones our media engine supports. Empty before negotiation.
    /// </summary>
    public static (Arr<RtpCodecParameters> Codecs, Arr<RtpHeaderExtensionParameters> Extensions, bool ReducedSize) For(PeerState state, string? mid, MediaKind kind)
    {
        var empty = (Arr<RtpCodecParameters>.Empty, Arr<RtpHeaderExtensionParameters>.Empty, false);
        if (mid is null || state.CurrentRemote.IsNone) return empty;
        var remote = Section((SessionDescription)state.CurrentRemote, mid);
        if (remote is null) return empty;
        var answer = state.CurrentLocal.Exists(l => l.Type == SdpType.Answer)
            ? Section((SessionDescription)state.CurrentLocal, mid) ?? remote
            : remote;
        var engine = state.Config.Media;
        var codecs = Jsep.Codecs(answer, kind);
        var supported = codecs.Filter(c => !c.IsRtx && engine.Match(kind, c.Name, c.ClockRate, c.Channels, c.Fmtp).IsSome);
        var pts = supported.Map(c => (int)c.PayloadType).ToHashSet();
        var kept = codecs.Filter(c => pts.Contains(c.PayloadType) || (c.IsRtx && c.Apt.Exists(pts.Contains)));
        var uris = engine.ExtensionsFor(kind).Map(h => h.Uri).ToHashSet();
        var extensions = Jsep.Extmaps(answer).Filter(e => uris.Contains(e.Uri)).Map(e => new RtpHeaderExtensionParameters(e.Uri, e.Id));
        return (kept.Map(c => new RtpCodecParameters(c.PayloadType, c.MimeType, c.ClockRate, c.Channels, c.Fmtp)),
                extensions, answer.HasAttribute("rtcp-rsize"));
    }

    /// <summary>The CNAME the remote description gives an SSRC (a=ssrc:&lt;ssrc&gt; cname:, RFC 5576 6.1), or "".</summary>
    public static string RemoteCname(PeerState state, uint ssrc)
    {
        if (state.CurrentRemote.IsNone) return "";
        var prefix = ssrc.ToString(System.Globalization.CultureInfo.InvariantCulture) + " cname:";
        return ((SessionDescription)state.CurrentRemote).TryUnmarshal().Match(
            sdp => sdp.Media.Bind(m => m.AttributeValues("ssrc")).Map(v => v.ToString())
                .Find(v => v.StartsWith(prefix, StringComparison.Ordinal)).Map(v => v[prefix.Length..]).IfNone(""),
            _ => "");
    }

    private static MediaDescription? Section(SessionDescription description, string mid) =>
        description.TryUnmarshal().Match(
            sdp => sdp.Media.Find(m => Jsep.Mid(m) == mid && m.Port != 0 && Jsep.IsRtp(m)).Match(m => m, () => (MediaDescription?)null),
            _ => null);
}
