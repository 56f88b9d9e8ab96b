using System.Globalization;
using Functional.WebRtc.Core.PeerConnection;
using Functional.WebRtc.Core.Sdp;
using LanguageExt;
using static LanguageExt.Prelude;

namespace Functional.WebRtc.Core.Signaling;

/// <summary>What JSEP needs to know of our side when writing an offer or answer.</summary>
public sealed record LocalParameters(IceCredentials Ice, Arr<string> Fingerprints, string Setup, PeerConfig Config)
{
    // The transport lines of these parameters, written on first use (see Jsep.TransportPrefix); not part of the value.
    internal SdpAttribute[]? TransportLines;

    private LocalParameters(LocalParameters original)
    {
        Ice = original.Ice;
        Fingerprints = original.Fingerprints;
        Setup = original.Setup;
        Config = original.Config;
    }

    public bool Equals(LocalParameters? other) => other is not null && Ice == other.Ice && Fingerprints.Equals(other.Fingerprints) &&
        Setup == other.Setup && Config == other.Config;
    public override int GetHashCode() => HashCode.Combine(Ice, Fingerprints, Setup, Config);
}

/// <summary>
/// Offer and answer generation (RFC 8829 sections 5.2 and 5.3) as pure functions from transceivers, data-channel
/// presence and the previous descriptions to an SDP model.
/// </summary>
public static class Jsep
{
    public const string RtpProtocol = "UDP/TLS/RTP/SAVPF";
    public const string SctpProtocol = "UDP/DTLS/SCTP";
    public const string SctpFormat = "webrtc-datachannel";

    /// <summary>
    /// JSEP 5.2.1/5.2.2: one m-section per transceiver and one for data channels. Sections already negotiated keep their
    /// place and mid; a rejected section may be recycled by a new transceiver; new ones are appended.
    /// Returns the offer and the transceivers with the mids the offer gave them.
    /// </summary>
    public static (SdpDescription Offer, Arr<Transceiver> Transceivers) CreateOffer(
        LocalParameters local, Arr<Transceiver> transceivers, bool dataChannels, Option<SdpDescription> previous,
        ulong sessionId, ulong sessionVersion)
    {
        var sections = new List<MediaDescription>();
        var txs = transceivers.ToList();
        var usedMids = new System.Collections.Generic.HashSet<string>(txs.SelectMany(t => t.Mid.ToSeq()));
        var dataMid = previous.Bind(p => p.Media.Find(IsData).Bind(m => Mid(m)));
        var nextMid = 0;
        string NewMid()
        {
            while (usedMids.Contains(nextMid.ToString(CultureInfo.InvariantCulture))) nextMid++;
            var mid = nextMid.ToString(CultureInfo.InvariantCulture);
            usedMids.Add(mid);
            return mid;
        }
        foreach (var m in previous.Map(p => p.Media).IfNone(Arr<MediaDescription>.Empty))
            foreach (var mid in Mid(m)) usedMids.Add(mid);

        Option<int> NextUnassociated() =>
            txs.FindIndex(t => t.Mid.IsNone && !t.Stopped) is var i and >= 0 ? Some(i) : None;

        foreach (var m in previous.Map(p => p.Media).IfNone(Arr<MediaDescription>.Empty))
        {
            var mid = Mid(m);
            if (IsData(m)) { sections.Add(DataSection(local, mid.IfNone("0"))); continue; }
            var index = txs.FindIndex(t => t.Mid == mid);
            if (index >= 0 && !txs[index].Stopped) { sections.Add(MediaSection(local, txs[index])); continue; }
            // A stopped or gone transceiver's section stays rejected unless a new transceiver recycles it (JSEP 5.2.2).
            var recycle = m.Port == 0 ? NextUnassociated() : None;
            if (recycle.IsSome)
            {
                var i = (int)recycle;
                txs[i] = txs[i] with { Mid = NewMid() };
                sections.Add(MediaSection(local, txs[i]));
            }
            else sections.Add(Rejected(m));
        }
        for (var i = 0; i < txs.Count; i++)
        {
            if (txs[i].Mid.IsSome || txs[i].Stopped) continue;
            txs[i] = txs[i] with { Mid = NewMid() };
            sections.Add(MediaSection(local, txs[i]));
        }
        if (dataChannels && dataMid.IsNone) sections.Add(DataSection(local, NewMid()));

        var offer = Session(sessionId, sessionVersion, sections);
        return (offer, txs.ToArr());
    }

    /// <summary>
    /// JSEP 5.3.1: an answer with the offer's m-sections in the offer's order; codecs intersected with ours keeping the
    /// offer's payload types and order; sections we cannot accept answered with port 0.
    /// </summary>
    public static SdpDescription CreateAnswer(LocalParameters local, SdpDescription offer, Arr<Transceiver> transceivers,
        ulong sessionId, ulong sessionVersion)
    {
        var sections = new List<MediaDescription>();
        foreach (var m in offer.Media)
        {
            var mid = Mid(m);
            if (m.Port == 0) { sections.Add(Rejected(m)); continue; }
            if (IsData(m)) { sections.Add(DataSection(local, mid.IfNone("0"), m)); continue; }
            var tx = transceivers.Find(t => t.Mid == mid && !t.Stopped);
            var answered = tx.Bind(t => AnswerMediaSection(local, t, m));
            sections.Add(answered.IfNone(() => Rejected(m)));
        }
        var accepted = sections.Where(s => s.Port != 0).SelectMany(s => Mid(s).ToSeq()).ToList();
        var offeredBundle = BundleGroup(offer);
        var bundle = offeredBundle.Map(g => g.Filter(accepted.Contains));
        return Session(sessionId, sessionVersion, sections, bundle.IfNone(Seq<string>()).ToArr());
    }

    private static SdpDescription Session(ulong sessionId, ulong sessionVersion, List<MediaDescription> sections, Arr<string>? bundle = null)
    {
        var mids = bundle ?? sections.Where(s => s.Port != 0).SelectMany(s => Mid(s).ToSeq()).ToArr();
        var attributes = new List<SdpAttribute>();
        if (mids.Count > 0) attributes.Add(new SdpAttribute("group", "BUNDLE " + string.Join(' ', mids)));
        attributes.Add(new SdpAttribute("extmap-allow-mixed"));
        attributes.Add(new SdpAttribute("msid-semantic", " WMS *"));
        return new SdpDescription
        {
            Origin = new Origin("-", sessionId, sessionVersion, "IN", "IP4", "127.0.0.1"),
            SessionName = "-",
            Attributes = Arr.create(attributes.ToArray()),
            Media = Arr.create(sections.ToArray()),
        };
    }

    private static readonly SdpAttribute IceOptionsTrickle = new("ice-options", "trickle");

    /// <summary>
    /// ice-ufrag, ice-pwd, ice-options, fingerprints and setup: the same in every m-section of one description, so
    /// written once per LocalParameters (an immutable value, made per call) and shared.
    /// </summary>
    private static SdpAttribute[] TransportPrefix(LocalParameters local)
    {
        var cached = local.TransportLines;
        if (cached is not null) return cached;
        var a = new SdpAttribute[4 + local.Fingerprints.Count];
        a[0] = new SdpAttribute("ice-ufrag", local.Ice.Ufrag);
        a[1] = new SdpAttribute("ice-pwd", local.Ice.Pwd);
        a[2] = IceOptionsTrickle;
        var i = 3;
        foreach (var f in local.Fingerprints) a[i++] = new SdpAttribute("fingerprint", f);
        a[i] = new SdpAttribute("setup", local.Setup);
        return local.TransportLines = a;
    }

    private static List<SdpAttribute> TransportAttributes(LocalParameters local, string mid, int more = 8)
    {
        var prefix = TransportPrefix(local);
        var a = new List<SdpAttribute>(prefix.Length + 1 + more);
        a.AddRange(prefix);
        a.Add(new SdpAttribute("mid", mid));
        return a;
    }

    private static MediaDescription DataSection(LocalParameters local, string mid, MediaDescription? offered = null)
    {
        var attributes = TransportAttributes(local, mid);
        var protocol = offered?.Protocol.ToString() ?? SctpProtocol;
        var formats = offered?.Formats ?? Arr.create<SdpText>(SctpFormat);
        if (protocol == SctpProtocol || offered is null)
        {
            attributes.Add(new SdpAttribute("sctp-port", local.Config.SctpPort.ToString(CultureInfo.InvariantCulture)));
            attributes.Add(new SdpAttribute("max-message-size", local.Config.MaxMessageSize.ToString(CultureInfo.InvariantCulture)));
        }
        else
        {
            // The legacy "DTLS/SCTP 5000" form (draft-ietf-mmusic-sctp-sdp-05) with a=sctpmap.
            attributes.Add(new SdpAttribute("sctpmap", $"{local.Config.SctpPort} webrtc-datachannel 1024"));
        }
        return new MediaDescription("application", 9, protocol, formats)
        {
            Connection = ConnectionData.Unspecified,
            Attributes = Arr.create(attributes.ToArray()),
        };
    }

    private static MediaDescription Rejected(MediaDescription m) =>
        new MediaDescription(m.Media, 0, m.Protocol, m.Formats)
        {
            Connection = ConnectionData.Unspecified,
            Attributes = Mid(m).Map(mid => Arr.create(new SdpAttribute("mid", mid))).IfNone(Arr<SdpAttribute>.Empty),
        };

    private static MediaDescription MediaSection(LocalParameters local, Transceiver t)
    {
        // Our codecs and extensions: their lines are the same in every offer, written once per engine.
        var index = local.Config.Media.Index.For(t.Kind);
        var lines = index.OfferLines ??= OfferLines(index);
        return RtpSection(local, t, index.Codecs, lines.Extmaps, lines.Codecs, lines.Formats, t.Direction,
            sendSimulcast: t.Direction.Sends() ? SimulcastSend.OfferAttributes(t) : default);
    }

    private static KindOfferLines OfferLines(KindIndex index) => new(
        index.Extensions.Map(h => ExtmapLine(h.Id, h.Uri)).ToArray(),
        CodecLines(index.Codecs),
        Formats(index.Codecs));

    private static SdpAttribute ExtmapLine(int id, string uri) => new("extmap", $"{id} {uri}");

    private static Arr<SdpText> Formats(Arr<RtpCodec> codecs)
    {
        var formats = new SdpText[codecs.Count];
        for (var i = 0; i < formats.Length; i++) formats[i] = PayloadTypeText[codecs[i].PayloadType];
        return Arr.create(formats);
    }

    /// <summary>"0" to "255", written once.</summary>
    private static readonly string[] PayloadTypeText = Enumerable.Range(0, 256).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray();

    /// <summary>rtpmap, rtcp-fb and fmtp lines of each codec, in order (each written as one "name:value" string).</summary>
    private static SdpAttribute[] CodecLines(Arr<RtpCodec> codecs)
    {
        var count = 0;
        foreach (var c in codecs) count += 1 + c.Feedback.Count + (c.Fmtp.Length > 0 ? 1 : 0);
        var a = new SdpAttribute[count];
        var i = 0;
        foreach (var c in codecs)
        {
            var pt = c.PayloadType;
            var name = c.MimeType.AsSpan(c.MimeType.IndexOf('/') + 1);
            a[i++] = c.Kind == MediaKind.Audio && c.Channels > 1
                ? Line(6, $"rtpmap:{pt} {name}/{c.ClockRate}/{c.Channels}")
                : Line(6, $"rtpmap:{pt} {name}/{c.ClockRate}");
            foreach (var fb in c.Feedback)
                a[i++] = fb.Parameter.Length == 0 ? Line(7, $"rtcp-fb:{pt} {fb.Type}") : Line(7, $"rtcp-fb:{pt} {fb.Type} {fb.Parameter}");
            if (c.Fmtp.Length > 0) a[i++] = Line(4, $"fmtp:{pt} {c.Fmtp}");
        }
        return a;
    }

    /// <summary>
    /// <see cref="CodecLines"/> for an answer: a line whose text equals the offer's line for that payload type is the
    /// offer's attribute itself (the same name and value, read from the offer's text), so only lines that differ are written.
    /// </summary>
    private static SdpAttribute[] AnswerCodecLines(Arr<RtpCodec> codecs, MediaDescription offered)
    {
        // Where each payload type's rtpmap, fmtp and rtcp-fb lines are in the offer (by the payload type they start with).
        Span<short> rtpmapAt = stackalloc short[128];
        Span<short> fmtpAt = stackalloc short[128];
        // The rtcp-fb lines of a payload type are chained in order: feedbackAt[pt] is the first, next[i] the one after i.
        Span<short> feedbackAt = stackalloc short[128];
        Span<short> feedbackLast = stackalloc short[128];
        rtpmapAt.Fill(-1);
        fmtpAt.Fill(-1);
        feedbackAt.Fill(-1);
        var attributes = offered.Attributes;
        var next = attributes.Count <= 256 ? stackalloc short[attributes.Count] : new short[attributes.Count];
        for (var i = 0; i < attributes.Count && i < short.MaxValue; i++)
        {
            var a = attributes[i];
            var name = a.Name.Span;
            var kind = name.SequenceEqual("rtpmap") ? 0 : name.SequenceEqual("fmtp") ? 1 : name.SequenceEqual("rtcp-fb") ? 2 : -1;
            if (kind < 0) continue;
            var value = a.Value.Span;
            var space = value.IndexOf(' ');
            if (space <= 0 || !SdpTokens.TryInt(value[..space], 0, 127, out var pt)) continue;
            if (kind == 2)
            {
                next[i] = -1;
                if (feedbackAt[pt] < 0) feedbackAt[pt] = (short)i; else next[feedbackLast[pt]] = (short)i;
                feedbackLast[pt] = (short)i;
                continue;
            }
            var at = kind == 0 ? rtpmapAt : fmtpAt;
            if (at[pt] < 0) at[pt] = (short)i;
        }

        var count = 0;
        foreach (var c in codecs) count += 1 + c.Feedback.Count + (c.Fmtp.Length > 0 ? 1 : 0);
        var lines = new SdpAttribute[count];
        Span<char> buffer = stackalloc char[512];
        var n = 0;
        foreach (var c in codecs)
        {
            var pt = c.PayloadType;
            var name = c.MimeType.AsSpan(c.MimeType.IndexOf('/') + 1);
            var withChannels = c.Kind == MediaKind.Audio && c.Channels > 1;
            var ok = withChannels
                ? buffer.TryWrite($"{pt} {name}/{c.ClockRate}/{c.Channels}", out var written)
                : buffer.TryWrite($"{pt} {name}/{c.ClockRate}", out written);
            lines[n++] = ok && pt < 128 && Same(attributes, rtpmapAt[pt], buffer[..written]) ? attributes[rtpmapAt[pt]]
                : withChannels ? Line(6, $"rtpmap:{pt} {name}/{c.ClockRate}/{c.Channels}") : Line(6, $"rtpmap:{pt} {name}/{c.ClockRate}");
            foreach (var fb in c.Feedback)
            {
                ok = fb.Parameter.Length == 0
                    ? buffer.TryWrite($"{pt} {fb.Type}", out written)
                    : buffer.TryWrite($"{pt} {fb.Type} {fb.Parameter}", out written);
                var found = -1;
                if (ok && pt < 128)
                    for (int i = feedbackAt[pt]; i >= 0; i = next[i])
                        if (attributes[i].Value.Span.SequenceEqual(buffer[..written])) { found = i; break; }
                lines[n++] = found >= 0 ? attributes[found]
                    : fb.Parameter.Length == 0 ? Line(7, $"rtcp-fb:{pt} {fb.Type}") : Line(7, $"rtcp-fb:{pt} {fb.Type} {fb.Parameter}");
            }
            if (c.Fmtp.Length > 0)
            {
                ok = buffer.TryWrite($"{pt} {c.Fmtp}", out written);
                lines[n++] = ok && pt < 128 && Same(attributes, fmtpAt[pt], buffer[..written]) ? attributes[fmtpAt[pt]] : Line(4, $"fmtp:{pt} {c.Fmtp}");
            }
        }
        return lines;
    }

    private static bool Same(Arr<SdpAttribute> attributes, int index, ReadOnlySpan<char> value) =>
        index >= 0 && attributes[index].HasValue && attributes[index].Value.Span.SequenceEqual(value);

    /// <summary>An attribute from its whole "name:value" text (the name is the first <paramref name="nameLength"/> characters).</summary>
    private static SdpAttribute Line(int nameLength, string text) => new(text, 0, nameLength, text.Length - nameLength - 1);

    private static Option<MediaDescription> AnswerMediaSection(LocalParameters local, Transceiver t, MediaDescription offered)
    {
        var kind = KindOf(offered);
        if (kind != t.Kind || !offered.Protocol.Span.Contains("RTP/", StringComparison.Ordinal)) return None;
        var engine = local.Config.Media;
        var offeredCodecs = Codecs(offered, kind);
        var accepted = new List<RtpCodec>(offeredCodecs.Count);
        foreach (var c in offeredCodecs)
        {
            if (c.IsRtx) continue;
            var match = engine.Match(kind, c.Name, c.ClockRate, c.Channels, c.Fmtp);
            if (match.IsNone) continue;
            var ours = ((RtpCodec)match).Feedback;
            accepted.Add(AllIn(c.Feedback, ours) ? c : c with { Feedback = c.Feedback.Filter(f => ours.Contains(f)) });
        }
        if (accepted.Count == 0) return None;
        var acceptedPts = new System.Collections.Generic.HashSet<int>();
        foreach (var c in accepted) acceptedPts.Add(c.PayloadType);
        foreach (var rtx in offeredCodecs)
            if (rtx.IsRtx && rtx.Apt.Exists(acceptedPts.Contains)) accepted.Add(rtx);
        // Keep the offer's order of payload types: each codec sorts by the first format that is its payload type's
        // decimal text (-1 when none is).
        Span<int> order = stackalloc int[256];
        FormatOrder(offered.Formats, order);
        var keyed = new List<(RtpCodec Codec, int Key)>(accepted.Count);
        foreach (var c in accepted) keyed.Add((c, order[c.PayloadType]));
        // The same comparisons on the same sequence as sorting the codecs by their keys: the same order.
        keyed.Sort((a, b) => a.Key.CompareTo(b.Key));
        for (var i = 0; i < keyed.Count; i++) accepted[i] = keyed[i].Codec;
        var ourUris = engine.Index.For(kind).ExtensionUris;
        var extensions = offered.ExtMaps().Filter(e => ourUris.Contains(e.Uri)).Map(e => ExtmapLine(e.Id, e.Uri)).ToArray();
        var direction = t.Direction.AnswerTo(DirectionOf(offered));
        var codecs = Arr.create(accepted.ToArray());
        return RtpSection(local, t, codecs, extensions, AnswerCodecLines(codecs, offered), Formats(codecs), direction, SimulcastAnswer(offered, direction),
            SimulcastSend.AnswerAttributes(t, offered, direction));
    }

    /// <summary>
    /// For each payload type 0-255, the index of the first format whose text is that number written in decimal
    /// (what <c>formats.IndexOf(pt.ToString())</c> finds), or -1.
    /// </summary>
    private static void FormatOrder(Arr<SdpText> formats, Span<int> order)
    {
        order.Fill(-1);
        for (var i = 0; i < formats.Count; i++)
        {
            var f = formats[i].Span;
            if (f.Length is 0 or > 3 || (f.Length > 1 && f[0] == '0')) continue;
            var v = 0;
            foreach (var ch in f)
            {
                if ((uint)(ch - '0') > 9) { v = -1; break; }
                v = v * 10 + (ch - '0');
            }
            if (v is >= 0 and <= 255 && order[v] < 0) order[v] = i;
        }
    }

    private static bool AllIn(Arr<RtcpFeedback> feedback, Arr<RtcpFeedback> ours)
    {
        foreach (var f in feedback)
            if (!ours.Contains(f)) return false;
        return true;
    }

    /// <summary>
    /// The answer to a simulcast offer (JSEP 5.3.1, RFC 8853 5.3, RFC 8851 4.2): an offered a=rid:&lt;id&gt; send becomes
    /// a=rid:&lt;id&gt; recv, and a=simulcast:send becomes a=simulcast:recv with the same streams (only the rids declared
    /// for sending, paused ones kept paused), when the answer receives. Without a simulcast send list, nothing.
    /// </summary>
    internal static Arr<SdpAttribute> SimulcastAnswer(MediaDescription offered, Direction answerDirection)
    {
        if (!answerDirection.Receives()) return Arr<SdpAttribute>.Empty;
        var simulcast = offered.GetSimulcast();
        if (simulcast.IsNone || ((Simulcast)simulcast).Send.IsEmpty) return Arr<SdpAttribute>.Empty;
        var sent = offered.Rids().Filter(r => r.Direction == RidDirection.Send).Map(r => r.Id).ToHashSet();
        var streams = ((Simulcast)simulcast).Send
            .Map(alternatives => alternatives.Filter(r => sent.Contains(r.Id)))
            .Filter(alternatives => !alternatives.IsEmpty);
        if (streams.IsEmpty) return Arr<SdpAttribute>.Empty;
        var a = new List<SdpAttribute>();
        var seen = new System.Collections.Generic.HashSet<string>();
        foreach (var rid in streams.Bind(x => x))
            if (seen.Add(rid.Id)) a.Add(new Rid(rid.Id, RidDirection.Recv).ToAttribute());
        a.Add(new Simulcast(Arr<Arr<SimulcastRid>>.Empty, streams).ToAttribute());
        return a.ToArr();
    }

    /// <summary>
    /// One section may send and receive simulcast: its a=rid lines of both directions, then a single
    /// a=simulcast:send .. recv .. line (RFC 8853 5.1 allows each direction once).
    /// </summary>
    private static Arr<SdpAttribute> MergeSimulcast(Arr<SdpAttribute> receive, Arr<SdpAttribute> send)
    {
        var rids = send.Filter(a => a.Is(Rid.AttributeName)).Concat(receive.Filter(a => a.Is(Rid.AttributeName)));
        var sendList = send.Find(a => a.Is(Simulcast.AttributeName)).Bind(a => Simulcast.Parse(a.Value).ToOption()).Map(x => x.Send);
        var recvList = receive.Find(a => a.Is(Simulcast.AttributeName)).Bind(a => Simulcast.Parse(a.Value).ToOption()).Map(x => x.Receive);
        var merged = new Simulcast(sendList.IfNone(Arr<Arr<SimulcastRid>>.Empty), recvList.IfNone(Arr<Arr<SimulcastRid>>.Empty));
        return rids.ToArr().Add(merged.ToAttribute());
    }

    private static readonly SdpAttribute RtcpMux = new("rtcp-mux");
    private static readonly SdpAttribute RtcpRsize = new("rtcp-rsize");
    private static readonly SdpAttribute[] DirectionLines =
        [new(Direction.SendRecv.ToText()), new(Direction.SendOnly.ToText()), new(Direction.RecvOnly.ToText()), new(Direction.Inactive.ToText()), new(Direction.Stopped.ToText())];

    private static MediaDescription RtpSection(LocalParameters local, Transceiver t, Arr<RtpCodec> codecs,
        SdpAttribute[] extmaps, SdpAttribute[] codecLines, Arr<SdpText> formats, Direction direction, Arr<SdpAttribute> simulcast = default,
        Arr<SdpAttribute> sendSimulcast = default)
    {
        var mid = t.Mid.IfNone("0");
        // JSEP 5.2.1/5.3.1: a=msid (and the SSRCs) follow the transceiver's own direction, not the negotiated one.
        var sending = t.Direction.Sends() && t.Sender.IsSome;
        var track = sending ? (TrackInfo)t.Sender : null;
        var hasRtx = track is not null && codecs.Exists(c => c.IsRtx);
        var prefix = TransportPrefix(local);
        // A simulcast sender names its layers by rid, not SSRC (RFC 8853 5.3, as browsers offer): the receiver learns
        // the SSRCs from the mid and rtp-stream-id header extensions (RFC 8843 9.2, RFC 8852).
        var ssrcLines = track is not null && sendSimulcast.IsEmpty;
        var tail = sendSimulcast.IsEmpty ? simulcast : MergeSimulcast(simulcast, sendSimulcast);
        // The lines are counted first and written into one exact-size array.
        var count = prefix.Length + 1 + extmaps.Length + 1 + (track is not null ? 1 : 0) + 1 + (t.Kind == MediaKind.Video ? 1 : 0) +
                    codecLines.Length + (!ssrcLines ? 0 : hasRtx ? 5 : 2) + tail.Count;
        var a = new SdpAttribute[count];
        var i = 0;
        prefix.CopyTo(a, i); i += prefix.Length;
        a[i++] = new SdpAttribute("mid", mid);
        extmaps.CopyTo(a, i); i += extmaps.Length;
        a[i++] = DirectionLines[(int)direction];
        if (track is not null) a[i++] = new SdpAttribute("msid", $"{track.StreamId} {track.Id}");
        a[i++] = RtcpMux;
        if (t.Kind == MediaKind.Video) a[i++] = RtcpRsize;
        codecLines.CopyTo(a, i); i += codecLines.Length;
        if (ssrcLines && track is not null)
        {
            if (hasRtx) a[i++] = new SdpAttribute("ssrc-group", $"FID {t.Ssrc} {t.RtxSsrc}");
            foreach (var ssrc in hasRtx ? [t.Ssrc, t.RtxSsrc] : new[] { t.Ssrc })
            {
                a[i++] = new SdpAttribute("ssrc", $"{ssrc} cname:{local.Config.Cname}");
                a[i++] = new SdpAttribute("ssrc", $"{ssrc} msid:{track.StreamId} {track.Id}");
            }
        }
        foreach (var x in tail) a[i++] = x;
        return new MediaDescription(t.Kind == MediaKind.Audio ? "audio" : "video", 9, RtpProtocol, formats)
        {
            Connection = ConnectionData.Unspecified,
            Attributes = Arr.create(a),
        };
    }

    // ----- reading what a description says (JSEP 5.7/5.8), through the SDP layer's typed getters -----

    public static Option<string> Mid(MediaDescription m) => m.Mid();
    public static bool IsData(MediaDescription m) => m.Media == "application";
    public static MediaKind KindOf(MediaDescription m) => m.Media == "audio" ? MediaKind.Audio : MediaKind.Video;
    public static bool IsRtp(MediaDescription m) => (m.Media == "audio" || m.Media == "video") && m.Protocol.Span.Contains("RTP/", StringComparison.Ordinal);

    /// <summary>The direction attribute of a section (sendrecv when absent, RFC 3264 5.1).</summary>
    public static Direction DirectionOf(MediaDescription m) => m.Direction().Map(d => d switch
    {
        SdpDirection.SendOnly => Direction.SendOnly,
        SdpDirection.RecvOnly => Direction.RecvOnly,
        SdpDirection.Inactive => Direction.Inactive,
        _ => Direction.SendRecv,
    }).IfNone(Direction.SendRecv);

    public static Option<Seq<string>> BundleGroup(SdpDescription d) => d.BundleGroup().Map(g => g.Mids.ToSeq());

    /// <summary>A media-level attribute, or the session-level one when the section has none.</summary>
    public static Option<string> Value(SdpDescription d, MediaDescription m, string name) =>
        (m.AttributeValue(name) || d.AttributeValue(name)).Map(v => v.ToString());

    public static Seq<string> Values(SdpDescription d, MediaDescription m, string name)
    {
        var media = m.AttributeValues(name);
        return (media.IsEmpty ? d.AttributesNamed(name).Map(a => a.Value) : media).Map(v => v.ToString());
    }

    public static Arr<(int Id, string Uri)> Extmaps(MediaDescription m) => m.ExtMaps().Map(e => (e.Id, e.Uri)).ToArr();

    /// <summary>The codecs a section lists, from its formats, rtpmap, fmtp and rtcp-fb lines.</summary>
    public static Arr<RtpCodec> Codecs(MediaDescription m, MediaKind kind) =>
        CodecScan.TryCodecs(m, kind, out var codecs) ? codecs : CodecsByTypedAttributes(m, kind);

    /// <summary>
    /// <see cref="Codecs"/> through the typed attribute records (the reference reading; <see cref="CodecScan"/> gives the
    /// same result in one pass and falls back to this for what it does not handle: wildcard feedback, repeated rtpmaps).
    /// </summary>
    internal static Arr<RtpCodec> CodecsByTypedAttributes(MediaDescription m, MediaKind kind)
    {
        // Each attribute list is read once; the per-payload-type lookups below are then cheap.
        // A payload type mapped twice (malformed: RFC 8866 6.6 maps each once) takes its first rtpmap, like its fmtp.
        var rtpmaps = new Dictionary<int, RtpMap>();
        foreach (var r in m.RtpMaps()) rtpmaps.TryAdd(r.PayloadType, r);
        var fmtps = new Dictionary<int, string>();
        foreach (var f in m.Fmtps()) fmtps.TryAdd(f.PayloadType, f.Raw);
        var feedback = m.RtcpFeedbacks();
        var prefix = kind == MediaKind.Audio ? "audio/" : "video/";
        return m.PayloadTypes().Choose(pt =>
        {
            var (name, clock, channels) = rtpmaps.TryGetValue(pt, out var r)
                ? (r.EncodingName, r.ClockRate, r.Channels.IfNone(kind == MediaKind.Audio ? 1 : 0))
                : StaticPayloadType(pt);
            if (name.Length == 0) return Option<RtpCodec>.None;
            var fbs = feedback.Filter(f => f.IsWildcard || f.PayloadTypeNumber == pt).Map(f => new RtcpFeedback(f.Type, f.Subtype.IfNone(""))).ToArr();
            return new RtpCodec(kind, prefix + name, clock, channels, fmtps.GetValueOrDefault(pt, ""), (byte)pt, fbs);
        }).ToArr();
    }

    /// <summary>RFC 3551 static payload types that need no rtpmap.</summary>
    internal static (string, int, int) StaticPayloadType(int pt) => pt switch
    {
        0 => ("PCMU", 8000, 1),
        8 => ("PCMA", 8000, 1),
        9 => ("G722", 8000, 1),
        _ => ("", 0, 0),
    };
}
