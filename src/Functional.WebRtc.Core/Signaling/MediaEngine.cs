using LanguageExt;
using LanguageExt.ClassInstances;
using static LanguageExt.Prelude;

namespace Functional.WebRtc.Core.Signaling;

/// <summary>An RTCP feedback mechanism of a codec (a=rtcp-fb): "nack", "nack pli", "ccm fir", "goog-remb", "transport-cc".</summary>
public readonly record struct RtcpFeedback(string Type, string Parameter = "")
{
    public override string ToString() => Parameter.Length == 0 ? Type : Type + " " + Parameter;
}

/// <summary>
/// A codec the engine can send and receive, with the payload type we offer it under (W3C RTCRtpCodecParameters,
/// Pion's RTPCodecParameters). MimeType is "audio/opus", "video/VP8", "video/rtx", ...
/// </summary>
public sealed record RtpCodec(MediaKind Kind, string MimeType, int ClockRate, int Channels, string Fmtp, byte PayloadType, Arr<RtcpFeedback> Feedback)
{
    /// <summary>The encoding name as in rtpmap ("opus", "VP8", "H264").</summary>
    public string Name => MimeType[(MimeType.IndexOf('/') + 1)..];

    /// <summary>For RTX: the payload type it repairs (fmtp apt=).</summary>
    public Option<int> Apt => FmtpParameter(Fmtp, "apt", out var v) && int.TryParse(v, out var apt) ? Some(apt) : None;

    /// <summary>The fmtp parameters as a map (parsed once per distinct fmtp text: a pure memo, the same text always gives the same map).</summary>
    public Map<OrdStringOrdinalIgnoreCase, string, string> FmtpParameters => FmtpMap(Fmtp);

    internal static Map<OrdStringOrdinalIgnoreCase, string, string> FmtpMap(string fmtp) => FmtpMemo.GetOrAdd(fmtp, ParseFmtp);

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Map<OrdStringOrdinalIgnoreCase, string, string>> FmtpMemo = new();

    private static Map<OrdStringOrdinalIgnoreCase, string, string> ParseFmtp(string fmtp) =>
        toMap<OrdStringOrdinalIgnoreCase, string, string>(fmtp.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(p => p.Split('=', 2)).Where(kv => kv.Length == 2).Select(kv => (kv[0], kv[1]))
            .DistinctBy(kv => kv.Item1, StringComparer.OrdinalIgnoreCase));

    public bool IsRtx => MimeType.AsSpan(MimeType.IndexOf('/') + 1).Equals("rtx", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// One parameter of an fmtp text, read as <see cref="FmtpParameters"/> reads it (without building the map): the
    /// <c>;</c>-separated entries trimmed, empty ones and ones without <c>=</c> skipped, the first entry whose name
    /// equals <paramref name="name"/> (ignoring case) wins.
    /// </summary>
    internal static bool FmtpParameter(ReadOnlySpan<char> fmtp, ReadOnlySpan<char> name, out ReadOnlySpan<char> value)
    {
        while (true)
        {
            var semicolon = fmtp.IndexOf(';');
            var entry = (semicolon < 0 ? fmtp : fmtp[..semicolon]).Trim();
            var eq = entry.IndexOf('=');
            if (eq >= 0 && entry[..eq].Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                value = entry[(eq + 1)..];
                return true;
            }
            if (semicolon < 0) break;
            fmtp = fmtp[(semicolon + 1)..];
        }
        value = default;
        return false;
    }
}

/// <summary>A header extension by URI, for audio, video or both.</summary>
public sealed record HeaderExtension(string Uri, int Id, bool Audio, bool Video);

/// <summary>
/// The codecs and header extensions a connection may negotiate (Pion's MediaEngine), as an immutable value.
/// </summary>
public sealed record MediaEngine(Arr<RtpCodec> Codecs, Arr<HeaderExtension> HeaderExtensions)
{
    // What the engine's lists give per kind, computed once per (immutable) engine; not part of its value.
    private EngineIndex? _index;
    internal EngineIndex Index => _index ??= new EngineIndex(this);

    // A copy made with `with` gets its own index: its lists may differ.
    private MediaEngine(MediaEngine original)
    {
        Codecs = original.Codecs;
        HeaderExtensions = original.HeaderExtensions;
    }

    public bool Equals(MediaEngine? other) =>
        other is not null && Codecs.Equals(other.Codecs) && HeaderExtensions.Equals(other.HeaderExtensions);
    public override int GetHashCode() => HashCode.Combine(Codecs, HeaderExtensions);

    public static readonly MediaEngine Empty = new(Arr<RtpCodec>.Empty, Arr<HeaderExtension>.Empty);

    private static readonly Arr<RtcpFeedback> VideoFeedback = Array(
        new RtcpFeedback("goog-remb"), new RtcpFeedback("transport-cc"), new RtcpFeedback("ccm", "fir"),
        new RtcpFeedback("nack"), new RtcpFeedback("nack", "pli"));
    private static readonly Arr<RtcpFeedback> AudioFeedback = Array(new RtcpFeedback("transport-cc"));

    public const string MidUri = "urn:ietf:params:rtp-hdrext:sdes:mid";
    public const string RidUri = "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id";
    public const string RepairedRidUri = "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id";
    public const string AbsSendTimeUri = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time";
    public const string TransportCcUri = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01";
    public const string AudioLevelUri = "urn:ietf:params:rtp-hdrext:ssrc-audio-level";

    /// <summary>
    /// Opus, G722, PCMU, PCMA; VP8, VP9 (profiles 0 and 2), H264 (packetization-mode 1 and 0 in the
    /// constrained-baseline and main/high profiles browsers offer), AV1, each video codec with RTX.
    /// Payload types follow Pion's and Chromium's usual numbers.
    /// </summary>
    public static MediaEngine Default { get; } = Empty.RegisterDefaultCodecs();

    public MediaEngine RegisterDefaultCodecs()
    {
        var e = this
            .RegisterCodec(new RtpCodec(MediaKind.Audio, "audio/opus", 48000, 2, "minptime=10;useinbandfec=1", 111, AudioFeedback))
            .RegisterCodec(new RtpCodec(MediaKind.Audio, "audio/G722", 8000, 1, "", 9, Arr<RtcpFeedback>.Empty))
            .RegisterCodec(new RtpCodec(MediaKind.Audio, "audio/PCMU", 8000, 1, "", 0, Arr<RtcpFeedback>.Empty))
            .RegisterCodec(new RtpCodec(MediaKind.Audio, "audio/PCMA", 8000, 1, "", 8, Arr<RtcpFeedback>.Empty));
        (string Mime, string Fmtp, byte Pt, byte Rtx)[] video =
        [
            ("video/VP8", "", 96, 97),
            ("video/VP9", "profile-id=0", 98, 99),
            ("video/VP9", "profile-id=2", 100, 101),
            ("video/H264", "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f", 102, 103),
            ("video/H264", "level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42001f", 104, 105),
            ("video/H264", "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f", 106, 107),
            ("video/H264", "level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f", 108, 109),
            ("video/H264", "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=4d001f", 127, 125),
            ("video/H264", "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=64001f", 112, 113),
            ("video/AV1", "", 45, 46),
        ];
        foreach (var (mime, fmtp, pt, rtx) in video)
            e = e.RegisterCodec(new RtpCodec(MediaKind.Video, mime, 90000, 0, fmtp, pt, VideoFeedback))
                 .RegisterCodec(new RtpCodec(MediaKind.Video, "video/rtx", 90000, 0, $"apt={pt}", rtx, Arr<RtcpFeedback>.Empty));
        return e
            .RegisterHeaderExtension(MidUri, 4, audio: true, video: true)
            .RegisterHeaderExtension(AbsSendTimeUri, 2, audio: true, video: true)
            .RegisterHeaderExtension(TransportCcUri, 3, audio: true, video: true)
            .RegisterHeaderExtension(AudioLevelUri, 1, audio: true, video: false)
            .RegisterHeaderExtension(RidUri, 10, audio: false, video: true)
            .RegisterHeaderExtension(RepairedRidUri, 11, audio: false, video: true);
    }

    /// <summary>Adds a codec, replacing one with the same payload type.</summary>
    public MediaEngine RegisterCodec(RtpCodec codec) =>
        this with { Codecs = Codecs.Filter(c => c.PayloadType != codec.PayloadType).Add(codec) };

    /// <summary>Adds a header extension (URI) with the id we offer it under.</summary>
    public MediaEngine RegisterHeaderExtension(string uri, int id, bool audio = true, bool video = true) =>
        this with { HeaderExtensions = HeaderExtensions.Filter(h => h.Uri != uri).Add(new HeaderExtension(uri, id, audio, video)) };

    public Arr<RtpCodec> CodecsFor(MediaKind kind) => Index.For(kind).Codecs;
    public Arr<HeaderExtension> ExtensionsFor(MediaKind kind) => Index.For(kind).Extensions;

    /// <summary>
    /// Does a remote codec (name, clock, channels, fmtp) match one of ours? H264 matches on profile (first two bytes of
    /// profile-level-id) and packetization-mode; VP9 on profile-id; others on name, clock rate and channels.
    /// </summary>
    public Option<RtpCodec> Match(MediaKind kind, string name, int clockRate, int channels, string fmtp)
    {
        // The same test as Matches for each of our codecs in order, with our side's fmtp values read once per engine
        // and theirs once per call.
        var ours = Index.For(kind).Matchable;
        var h264 = name.Equals("H264", StringComparison.OrdinalIgnoreCase);
        var vp9 = !h264 && name.Equals("VP9", StringComparison.OrdinalIgnoreCase);
        string? theirPm = null, theirProfile = null, theirVp9 = null;
        foreach (var c in ours)
        {
            if (!c.Name.Equals(name, StringComparison.OrdinalIgnoreCase) || c.Codec.ClockRate != clockRate) continue;
            if (c.Codec.Kind == MediaKind.Audio && Math.Max(c.Codec.Channels, 1) != Math.Max(channels, 1)) continue;
            if (h264)
            {
                theirPm ??= PacketizationMode(fmtp);
                theirProfile ??= Profile(fmtp);
                if (c.PacketizationMode != theirPm || c.Profile != theirProfile) continue;
            }
            else if (vp9)
            {
                theirVp9 ??= Vp9Profile(fmtp);
                if (c.Vp9Profile != theirVp9) continue;
            }
            return c.Codec;
        }
        return None;
    }

    // The fmtp readings Matches compares (defaults as RFC 6184 8.1 and the VP9 payload draft give them).
    internal static string PacketizationMode(string fmtp) =>
        RtpCodec.FmtpParameter(fmtp, "packetization-mode", out var v) ? v.ToString() : "0";
    internal static string Profile(string fmtp) =>
        RtpCodec.FmtpParameter(fmtp, "profile-level-id", out var p) ? (p.Length >= 4 ? p[..4].ToString().ToLowerInvariant() : p.ToString()) : "42e0";
    internal static string Vp9Profile(string fmtp) =>
        RtpCodec.FmtpParameter(fmtp, "profile-id", out var v) ? v.ToString() : "0";

    public static bool Matches(RtpCodec ours, string name, int clockRate, int channels, string fmtp)
    {
        if (!ours.Name.Equals(name, StringComparison.OrdinalIgnoreCase) || ours.ClockRate != clockRate) return false;
        if (ours.Kind == MediaKind.Audio && Math.Max(ours.Channels, 1) != Math.Max(channels, 1)) return false;
        var theirs = RtpCodec.FmtpMap(fmtp);
        var mine = ours.FmtpParameters;
        if (name.Equals("H264", StringComparison.OrdinalIgnoreCase))
        {
            var pm = (Map<OrdStringOrdinalIgnoreCase, string, string> m) => m.Find("packetization-mode").IfNone("0");
            var profile = (Map<OrdStringOrdinalIgnoreCase, string, string> m) =>
                m.Find("profile-level-id").Map(p => p.Length >= 4 ? p[..4].ToLowerInvariant() : p).IfNone("42e0");
            return pm(mine) == pm(theirs) && profile(mine) == profile(theirs);
        }
        if (name.Equals("VP9", StringComparison.OrdinalIgnoreCase))
            return mine.Find("profile-id").IfNone("0") == theirs.Find("profile-id").IfNone("0");
        return true;
    }
}

/// <summary>A codec of ours with what matching a remote codec reads of it.</summary>
internal sealed record MatchableCodec(RtpCodec Codec, string Name, string PacketizationMode, string Profile, string Vp9Profile);

/// <summary>One kind's share of a <see cref="MediaEngine"/>: its codecs, extensions, and the SDP lines an offer writes for them.</summary>
internal sealed class KindIndex
{
    public Arr<RtpCodec> Codecs { get; }
    public Arr<HeaderExtension> Extensions { get; }
    /// <summary>Our non-RTX codecs in order, for Match.</summary>
    public MatchableCodec[] Matchable { get; }
    /// <summary>The extension URIs (ordinal).</summary>
    public System.Collections.Generic.HashSet<string> ExtensionUris { get; }
    /// <summary>The lines an offer writes for these codecs and extensions (Jsep fills it on first use).</summary>
    public KindOfferLines? OfferLines;

    public KindIndex(MediaEngine engine, MediaKind kind)
    {
        Codecs = engine.Codecs.Filter(c => c.Kind == kind);
        Extensions = engine.HeaderExtensions.Filter(h => kind == MediaKind.Audio ? h.Audio : h.Video);
        Matchable = Codecs.Filter(c => !c.IsRtx)
            .Map(c => new MatchableCodec(c, c.Name, MediaEngine.PacketizationMode(c.Fmtp), MediaEngine.Profile(c.Fmtp), MediaEngine.Vp9Profile(c.Fmtp)))
            .ToArray();
        ExtensionUris = new System.Collections.Generic.HashSet<string>(Extensions.Map(h => h.Uri), StringComparer.Ordinal);
    }
}

/// <summary>The per-kind indexes of an engine, made when first asked for.</summary>
internal sealed class EngineIndex(MediaEngine engine)
{
    private KindIndex? audio, video;
    public KindIndex For(MediaKind kind) => kind == MediaKind.Audio
        ? audio ??= new KindIndex(engine, MediaKind.Audio)
        : video ??= new KindIndex(engine, MediaKind.Video);
}

/// <summary>The a=extmap lines, the codec lines (rtpmap, rtcp-fb, fmtp) and the m= line formats an offer writes for one kind.</summary>
internal sealed record KindOfferLines(Functional.WebRtc.Core.Sdp.SdpAttribute[] Extmaps, Functional.WebRtc.Core.Sdp.SdpAttribute[] Codecs, Arr<Functional.WebRtc.Core.Sdp.SdpText> Formats);
