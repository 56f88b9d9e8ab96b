using Functional.WebRtc.Core.Sdp;
using LanguageExt;
using static Functional.WebRtc.Core.Sdp.SdpTokens;

namespace Functional.WebRtc.Core.Signaling;

/// <summary>
/// The codecs of an m-section (<see cref="Jsep.Codecs"/>) read in one pass over its attributes, on spans: the rtpmap,
/// fmtp and rtcp-fb values are read with the same rules as <see cref="RtpMap.Parse"/>, <see cref="Fmtp.Parse"/> and
/// <see cref="Sdp.RtcpFeedback.Parse"/> (a value they reject is skipped, as the typed getters skip it), without making
/// the intermediate records. Declines (returns false) what it does not handle, so the caller uses the typed reading:
/// a <c>*</c> rtcp-fb line, or two rtpmap lines for one payload type.
/// </summary>
internal static class CodecScan
{
    private struct RtpMapEntry
    {
        public SdpText Value;
        public int NameOffset, NameLength, ClockRate, Channels; // Channels -1: none given
    }

    public static bool TryCodecs(MediaDescription m, MediaKind kind, out Arr<RtpCodec> codecs)
    {
        codecs = default;
        // Per payload type, 1 + the index of its entry in the lists below (0: none); the lists hold what was found.
        Span<byte> rtpmapAt = stackalloc byte[128];
        Span<byte> fmtpAt = stackalloc byte[128];
        Span<byte> feedbackAt = stackalloc byte[128];
        rtpmapAt.Clear(); fmtpAt.Clear(); feedbackAt.Clear();
        var rtpmaps = new List<RtpMapEntry>();
        var fmtps = new List<string>();
        var feedback = new List<List<RtcpFeedback>>();
        var attributes = m.Attributes;
        for (var i = 0; i < attributes.Count; i++)
        {
            var a = attributes[i];
            var name = a.Name.Span;
            if (name.SequenceEqual(RtpMap.AttributeName))
            {
                if (!TryRtpMap(a.Value, out var pt, out var entry)) continue;
                if (rtpmapAt[pt] != 0 || rtpmaps.Count == 255) return false;
                rtpmaps.Add(entry);
                rtpmapAt[pt] = (byte)rtpmaps.Count;
            }
            else if (name.SequenceEqual(Fmtp.AttributeName))
            {
                // Fmtp.Parse: the payload type, then the rest trimmed of spaces; the first line of a payload type counts.
                var s = a.Value.Span.TrimStart(' ');
                var space = s.IndexOf(' ');
                if (!TryInt(space < 0 ? s : s[..space], 0, 127, out var pt) || fmtpAt[pt] != 0) continue;
                if (fmtps.Count == 255) return false;
                fmtps.Add(space < 0 ? "" : s[(space + 1)..].Trim(' ').ToString());
                fmtpAt[pt] = (byte)fmtps.Count;
            }
            else if (name.SequenceEqual(Sdp.RtcpFeedback.AttributeName))
            {
                // RtcpFeedback.Parse: "*" or a payload type, a type token, then an optional subtype (trimmed).
                var rest = a.Value.Span;
                var ptText = Next(ref rest);
                var wildcard = ptText.SequenceEqual("*");
                var pt = 0;
                if (!wildcard && !TryInt(ptText, 0, 127, out pt)) continue;
                var type = Next(ref rest);
                if (!IsToken(type)) continue;
                if (wildcard) return false;
                var sub = rest.Trim(' ');
                if (feedbackAt[pt] == 0)
                {
                    if (feedback.Count == 255) return false;
                    feedback.Add(new List<RtcpFeedback>(6));
                    feedbackAt[pt] = (byte)feedback.Count;
                }
                feedback[feedbackAt[pt] - 1].Add(new RtcpFeedback(Known(type), sub.IsEmpty ? "" : Known(sub)));
            }
        }

        var prefix = kind == MediaKind.Audio ? "audio/" : "video/";
        var list = new RtpCodec[m.Formats.Count];
        var n = 0;
        foreach (var f in m.Formats)
        {
            if (!TryInt(f.Span, 0, 127, out var pt)) continue;
            string mime;
            int clock, channels;
            if (rtpmapAt[pt] != 0)
            {
                var r = rtpmaps[rtpmapAt[pt] - 1];
                mime = Mime(kind, r.Value.Span.Slice(r.NameOffset, r.NameLength));
                clock = r.ClockRate;
                channels = r.Channels >= 0 ? r.Channels : kind == MediaKind.Audio ? 1 : 0;
            }
            else
            {
                var (name, c, ch) = Jsep.StaticPayloadType(pt);
                if (name.Length == 0) continue;
                mime = prefix + name;
                clock = c;
                channels = ch;
            }
            var fbs = feedbackAt[pt] != 0 ? Arr.create(feedback[feedbackAt[pt] - 1].ToArray()) : Arr<RtcpFeedback>.Empty;
            list[n++] = new RtpCodec(kind, mime, clock, channels, fmtpAt[pt] != 0 ? fmtps[fmtpAt[pt] - 1] : "", (byte)pt, fbs);
        }
        if (n < list.Length) System.Array.Resize(ref list, n);
        codecs = Arr.create(list);
        return true;
    }

    /// <summary>RtpMap.Parse's rules: pt, then exactly one more token name/rate[/channels].</summary>
    private static bool TryRtpMap(SdpText value, out int pt, out RtpMapEntry entry)
    {
        entry = default;
        var all = value.Span;
        var rest = all;
        if (!TryInt(Next(ref rest), 0, 127, out pt)) return false;
        var encoding = Next(ref rest);
        if (!Next(ref rest).IsEmpty) return false;
        var slash = encoding.IndexOf('/');
        if (slash <= 0) return false;
        var tail = encoding[(slash + 1)..];
        var slash2 = tail.IndexOf('/');
        var rate = slash2 < 0 ? tail : tail[..slash2];
        if (!TryInt(rate, 1, int.MaxValue, out var clockRate)) return false;
        var channels = -1;
        if (slash2 >= 0 && !TryInt(tail[(slash2 + 1)..], 1, 255, out channels)) return false;
        all.Overlaps(encoding, out var offset);
        entry = new RtpMapEntry { Value = value, NameOffset = offset, NameLength = slash, ClockRate = clockRate, Channels = channels };
        return true;
    }

    /// <summary>"audio/" or "video/" and the encoding name; the usual ones shared instead of copied (the same text either way).</summary>
    private static string Mime(MediaKind kind, ReadOnlySpan<char> name) => kind == MediaKind.Audio
        ? name switch
        {
            "opus" => "audio/opus",
            "red" => "audio/red",
            "G722" => "audio/G722",
            "PCMU" => "audio/PCMU",
            "PCMA" => "audio/PCMA",
            "CN" => "audio/CN",
            "telephone-event" => "audio/telephone-event",
            _ => string.Concat("audio/", name),
        }
        : name switch
        {
            "VP8" => "video/VP8",
            "VP9" => "video/VP9",
            "H264" => "video/H264",
            "H265" => "video/H265",
            "AV1" => "video/AV1",
            "rtx" => "video/rtx",
            "red" => "video/red",
            "ulpfec" => "video/ulpfec",
            _ => string.Concat("video/", name),
        };

    /// <summary>The feedback words browsers write, shared instead of copied (the same text either way).</summary>
    private static string Known(ReadOnlySpan<char> s) => s switch
    {
        "nack" => "nack",
        "pli" => "pli",
        "ccm" => "ccm",
        "fir" => "fir",
        "goog-remb" => "goog-remb",
        "transport-cc" => "transport-cc",
        _ => s.ToString(),
    };
}
