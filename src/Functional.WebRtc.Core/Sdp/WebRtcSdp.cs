using LanguageExt;

namespace Functional.WebRtc.Core.Sdp;

/// <summary>Names of the WebRTC attributes that have no typed record of their own.</summary>
public static class SdpAttributeNames
{
    public const string Mid = "mid";
    public const string IceUfrag = "ice-ufrag";
    public const string IcePwd = "ice-pwd";
    public const string IceOptions = "ice-options";
    public const string IceLite = "ice-lite";
    public const string EndOfCandidates = "end-of-candidates";
    public const string Setup = "setup";
    public const string RtcpMux = "rtcp-mux";
    public const string RtcpMuxOnly = "rtcp-mux-only";
    public const string RtcpRsize = "rtcp-rsize";
    public const string ExtmapAllowMixed = "extmap-allow-mixed";
    public const string SctpPort = "sctp-port";
    public const string MaxMessageSize = "max-message-size";

    public const string SendRecv = "sendrecv";
    public const string SendOnly = "sendonly";
    public const string RecvOnly = "recvonly";
    public const string Inactive = "inactive";
}

/// <summary>
/// Typed getters and setters for the WebRTC attributes (JSEP, RFC 8829; ICE RFC 8839; BUNDLE RFC 9143; DTLS RFC 8842;
/// SCTP RFC 8841). Getters return Option/Seq and skip values that do not parse; <see cref="Validate"/> (or each record's
/// Parse) reports a malformed attribute as a typed <see cref="RtcError.Syntax"/>.
/// </summary>
public static class WebRtcSdp
{
    // ---- generic ----------------------------------------------------------------------------------------------

    private static Seq<T> Typed<T>(Arr<SdpAttribute> attributes, string name, Func<SdpText, Either<RtcError, T>> parse)
    {
        var list = new List<T>();
        for (var i = 0; i < attributes.Count; i++)
        {
            var a = attributes[i];
            if (a.Name.Equals(name))
                parse(a.Value).IfRight(list.Add);
        }
        return list.ToSeq();
    }

    private static Option<T> FirstTyped<T>(Arr<SdpAttribute> attributes, string name, Func<SdpText, Either<RtcError, T>> parse)
    {
        for (var i = 0; i < attributes.Count; i++)
        {
            var a = attributes[i];
            if (a.Name.Equals(name))
                return SdpTokens.ToOption(parse(a.Value));
        }
        return Option<T>.None;
    }

    private static Either<RtcError, Seq<T>> Strict<T>(Arr<SdpAttribute> attributes, string name, Func<SdpText, Either<RtcError, T>> parse)
    {
        var list = new List<T>();
        for (var i = 0; i < attributes.Count; i++)
        {
            var a = attributes[i];
            if (!a.Name.Equals(name)) continue;
            var r = parse(a.Value);
            if (r.IsLeft) return r.Match(_ => default(Either<RtcError, Seq<T>>), e => e);
            r.IfRight(list.Add);
        }
        return list.ToSeq();
    }

    private static Option<string> Text(Arr<SdpAttribute> attributes, string name) =>
        SdpAttributeList.First(attributes, name).Map(a => a.Value.Span.Trim(' ').ToString());

    /// <summary>Parses every attribute named <paramref name="name"/>; the first malformed one is the error.</summary>
    public static Either<RtcError, Seq<T>> ParseAttributes<T>(this MediaDescription m, string name, Func<SdpText, Either<RtcError, T>> parse) =>
        Strict(m.Attributes, name, parse);

    public static Either<RtcError, Seq<T>> ParseAttributes<T>(this SdpDescription d, string name, Func<SdpText, Either<RtcError, T>> parse) =>
        Strict(d.Attributes, name, parse);

    // ---- session level ----------------------------------------------------------------------------------------

    public static Seq<SdpGroup> Groups(this SdpDescription d) => Typed(d.Attributes, SdpGroup.AttributeName, SdpGroup.Parse);
    public static Option<SdpGroup> Group(this SdpDescription d, string semantics) => d.Groups().Find(g => g.Semantics == semantics);
    /// <summary>The first BUNDLE group (JSEP offers one per bundled transport; browsers make one).</summary>
    public static Option<SdpGroup> BundleGroup(this SdpDescription d) => d.Group(SdpGroup.Bundle);
    public static Seq<SdpGroup> BundleGroups(this SdpDescription d) => d.Groups().Filter(g => g.IsBundle);
    public static SdpDescription WithGroup(this SdpDescription d, SdpGroup group) => d.WithAttribute(group.ToAttribute());
    public static SdpDescription WithoutGroups(this SdpDescription d) => d.WithoutAttribute(SdpGroup.AttributeName);

    public static bool IsIceLite(this SdpDescription d) => d.HasAttribute(SdpAttributeNames.IceLite);
    public static Seq<MsidSemantic> MsidSemantics(this SdpDescription d) => Typed(d.Attributes, MsidSemantic.AttributeName, MsidSemantic.Parse);
    public static bool HasExtmapAllowMixed(this SdpDescription d) => d.HasAttribute(SdpAttributeNames.ExtmapAllowMixed);

    public static Option<string> IceUfrag(this SdpDescription d) => Text(d.Attributes, SdpAttributeNames.IceUfrag);
    public static Option<string> IcePwd(this SdpDescription d) => Text(d.Attributes, SdpAttributeNames.IcePwd);
    public static Seq<string> IceOptions(this SdpDescription d) => Text(d.Attributes, SdpAttributeNames.IceOptions).Map(o => SdpTokens.Split(o).ToSeq()).IfNone(Seq<string>.Empty);
    public static Seq<Fingerprint> Fingerprints(this SdpDescription d) => Typed(d.Attributes, Fingerprint.AttributeName, Fingerprint.Parse);
    public static Option<SdpSetup> Setup(this SdpDescription d) => FirstTyped(d.Attributes, SdpAttributeNames.Setup, v => SdpEnums.ParseSetup(v.Span));
    public static Option<SdpDirection> Direction(this SdpDescription d) => DirectionOf(d.Attributes);
    public static Seq<ExtMap> ExtMaps(this SdpDescription d) => Typed(d.Attributes, ExtMap.AttributeName, ExtMap.Parse);

    /// <summary>The media section with this mid.</summary>
    public static Option<MediaDescription> MediaByMid(this SdpDescription d, string mid) => d.Media.Find(m => m.Mid() == mid);
    public static int MediaIndexByMid(this SdpDescription d, string mid)
    {
        for (var i = 0; i < d.Media.Count; i++)
            if (d.Media[i].Mid() == mid) return i;
        return -1;
    }

    // ---- media level, with the session-level fallback JSEP allows -------------------------------------------

    /// <summary>ice-ufrag and ice-pwd of a media section, falling back to the session level (RFC 8839 section 5.4).</summary>
    public static Option<(string Ufrag, string Pwd)> IceCredentials(this SdpDescription d, MediaDescription m) =>
        from u in m.IceUfrag() || d.IceUfrag()
        from p in m.IcePwd() || d.IcePwd()
        select (u, p);

    /// <summary>Media-level fingerprints, or the session-level ones when the section has none (RFC 8122 section 5).</summary>
    public static Seq<Fingerprint> EffectiveFingerprints(this SdpDescription d, MediaDescription m)
    {
        var media = m.Fingerprints();
        return media.IsEmpty ? d.Fingerprints() : media;
    }

    public static Option<SdpSetup> EffectiveSetup(this SdpDescription d, MediaDescription m) => m.Setup() || d.Setup();

    /// <summary>The media direction, else the session direction, else sendrecv (RFC 8866 section 6.7).</summary>
    public static SdpDirection EffectiveDirection(this SdpDescription d, MediaDescription m) =>
        (m.Direction() || d.Direction()).IfNone(SdpDirection.SendRecv);

    // ---- media level ------------------------------------------------------------------------------------------

    public static Option<string> Mid(this MediaDescription m) => Text(m.Attributes, SdpAttributeNames.Mid);
    public static MediaDescription WithMid(this MediaDescription m, string mid) => m.SetAttribute(SdpAttributeNames.Mid, mid);

    public static Option<string> IceUfrag(this MediaDescription m) => Text(m.Attributes, SdpAttributeNames.IceUfrag);
    public static Option<string> IcePwd(this MediaDescription m) => Text(m.Attributes, SdpAttributeNames.IcePwd);
    public static Seq<string> IceOptions(this MediaDescription m) => Text(m.Attributes, SdpAttributeNames.IceOptions).Map(o => SdpTokens.Split(o).ToSeq()).IfNone(Seq<string>.Empty);
    public static MediaDescription WithIceCredentials(this MediaDescription m, string ufrag, string pwd) =>
        m.SetAttribute(SdpAttributeNames.IceUfrag, ufrag).SetAttribute(SdpAttributeNames.IcePwd, pwd);

    public static Seq<CandidateAttribute> Candidates(this MediaDescription m) =>
        Typed(m.Attributes, CandidateAttribute.AttributeName, CandidateAttribute.Parse);
    public static MediaDescription WithCandidate(this MediaDescription m, CandidateAttribute c) => m.WithAttribute(c.ToAttribute());
    public static bool HasEndOfCandidates(this MediaDescription m) => m.HasAttribute(SdpAttributeNames.EndOfCandidates);
    public static MediaDescription WithEndOfCandidates(this MediaDescription m) => m.SetAttribute(SdpAttributeNames.EndOfCandidates);

    public static Seq<Fingerprint> Fingerprints(this MediaDescription m) => Typed(m.Attributes, Fingerprint.AttributeName, Fingerprint.Parse);
    public static MediaDescription WithFingerprint(this MediaDescription m, Fingerprint f) => m.WithAttribute(f.ToAttribute());

    public static Option<SdpSetup> Setup(this MediaDescription m) => FirstTyped(m.Attributes, SdpAttributeNames.Setup, v => SdpEnums.ParseSetup(v.Span));
    public static MediaDescription WithSetup(this MediaDescription m, SdpSetup setup) => m.SetAttribute(SdpAttributeNames.Setup, setup.ToSdp());

    public static Seq<RtpMap> RtpMaps(this MediaDescription m) => Typed(m.Attributes, RtpMap.AttributeName, RtpMap.Parse);
    public static Option<RtpMap> RtpMapFor(this MediaDescription m, int payloadType) => m.RtpMaps().Find(r => r.PayloadType == payloadType);
    public static Seq<Fmtp> Fmtps(this MediaDescription m) => Typed(m.Attributes, Fmtp.AttributeName, Fmtp.Parse);
    public static Option<Fmtp> FmtpFor(this MediaDescription m, int payloadType) => m.Fmtps().Find(f => f.PayloadType == payloadType);
    public static Seq<RtcpFeedback> RtcpFeedbacks(this MediaDescription m) => Typed(m.Attributes, RtcpFeedback.AttributeName, RtcpFeedback.Parse);
    /// <summary>The feedback for a payload type, including the <c>*</c> wildcard lines.</summary>
    public static Seq<RtcpFeedback> RtcpFeedbacksFor(this MediaDescription m, int payloadType) =>
        m.RtcpFeedbacks().Filter(f => f.IsWildcard || f.PayloadTypeNumber == payloadType);
    /// <summary>Payload types of the m= line that are numbers, in order.</summary>
    public static Seq<int> PayloadTypes(this MediaDescription m) =>
        m.Formats.Choose(f => SdpTokens.TryInt(f.Span, 0, 127, out var pt) ? Option<int>.Some(pt) : Option<int>.None).ToSeq();

    public static Option<RtcpAttribute> Rtcp(this MediaDescription m) => FirstTyped(m.Attributes, RtcpAttribute.AttributeName, RtcpAttribute.Parse);
    public static bool HasRtcpMux(this MediaDescription m) => m.HasAttribute(SdpAttributeNames.RtcpMux);
    public static bool HasRtcpMuxOnly(this MediaDescription m) => m.HasAttribute(SdpAttributeNames.RtcpMuxOnly);
    public static bool HasRtcpRsize(this MediaDescription m) => m.HasAttribute(SdpAttributeNames.RtcpRsize);

    public static Seq<ExtMap> ExtMaps(this MediaDescription m) => Typed(m.Attributes, ExtMap.AttributeName, ExtMap.Parse);
    public static bool HasExtmapAllowMixed(this MediaDescription m) => m.HasAttribute(SdpAttributeNames.ExtmapAllowMixed);

    public static Seq<Msid> Msids(this MediaDescription m) => Typed(m.Attributes, Msid.AttributeName, Msid.Parse);
    public static Seq<SsrcAttribute> Ssrcs(this MediaDescription m) => Typed(m.Attributes, SsrcAttribute.AttributeName, SsrcAttribute.Parse);
    public static Seq<SsrcGroup> SsrcGroups(this MediaDescription m) => Typed(m.Attributes, SsrcGroup.AttributeName, SsrcGroup.Parse);
    /// <summary>The distinct SSRCs of the a=ssrc lines, in order of appearance.</summary>
    public static Seq<uint> SsrcIds(this MediaDescription m) => m.Ssrcs().Map(s => s.Ssrc).Distinct().ToSeq();

    public static Seq<Rid> Rids(this MediaDescription m) => Typed(m.Attributes, Rid.AttributeName, Rid.Parse);
    public static Option<Simulcast> GetSimulcast(this MediaDescription m) => FirstTyped(m.Attributes, Simulcast.AttributeName, Simulcast.Parse);

    public static Option<int> SctpPort(this MediaDescription m) =>
        SdpAttributeList.First(m.Attributes, SdpAttributeNames.SctpPort).Bind(a => SdpTokens.TryInt(a.Value.Span.Trim(' '), 0, 65535, out var p) ? Option<int>.Some(p) : Option<int>.None);
    public static Option<ulong> MaxMessageSize(this MediaDescription m) =>
        SdpAttributeList.First(m.Attributes, SdpAttributeNames.MaxMessageSize).Bind(a => SdpTokens.TryUInt64(a.Value.Span.Trim(' '), out var n) ? Option<ulong>.Some(n) : Option<ulong>.None);
    public static Option<SctpMap> GetSctpMap(this MediaDescription m) => FirstTyped(m.Attributes, SctpMap.AttributeName, SctpMap.Parse);

    public static Option<SdpDirection> Direction(this MediaDescription m) => DirectionOf(m.Attributes);

    /// <summary>Sets the direction: replaces the existing direction attribute in place (removing any extra), or appends one.</summary>
    public static MediaDescription WithDirection(this MediaDescription m, SdpDirection direction) =>
        m with { Attributes = SetDirection(m.Attributes, direction) };

    public static SdpDescription WithDirection(this SdpDescription d, SdpDirection direction) =>
        d with { Attributes = SetDirection(d.Attributes, direction) };

    private static bool IsDirection(SdpAttribute a) => !a.HasValue && SdpEnums.ParseDirection(a.Name.Span).IsSome;

    private static Option<SdpDirection> DirectionOf(Arr<SdpAttribute> attributes)
    {
        for (var i = 0; i < attributes.Count; i++)
        {
            var a = attributes[i];
            if (a.HasValue) continue;
            var d = SdpEnums.ParseDirection(a.Name.Span);
            if (d.IsSome) return d;
        }
        return Option<SdpDirection>.None;
    }

    private static Arr<SdpAttribute> SetDirection(Arr<SdpAttribute> attributes, SdpDirection direction)
    {
        var attribute = new SdpAttribute(direction.ToSdp());
        var result = new List<SdpAttribute>(attributes.Count + 1);
        var placed = false;
        foreach (var a in attributes)
        {
            if (!IsDirection(a)) { result.Add(a); continue; }
            if (!placed) { result.Add(attribute); placed = true; }
        }
        if (!placed) result.Add(attribute);
        return Arr.create(result.ToArray());
    }

    // ---- validation -------------------------------------------------------------------------------------------

    /// <summary>
    /// Checks that every WebRTC attribute this file knows parses (candidate, fingerprint, setup, rtpmap, fmtp, rtcp-fb,
    /// rtcp, extmap, msid, ssrc, ssrc-group, rid, simulcast, group, sctp-port, max-message-size, sctpmap).
    /// The error names the media section and attribute.
    /// </summary>
    public static Either<RtcError, SdpDescription> Validate(this SdpDescription d)
    {
        foreach (var e in CheckAll(d.Attributes, "session level"))
            return e;
        for (var i = 0; i < d.Media.Count; i++)
            foreach (var e in CheckAll(d.Media[i].Attributes, $"m= section {i + 1}"))
                return e;
        return d;
    }

    private static Option<RtcError> CheckAll(Arr<SdpAttribute> attributes, string where)
    {
        foreach (var a in attributes)
        {
            var error = Check(a);
            if (error is not null) return new RtcError.Syntax($"{where}: {error.Message} (in a={a})");
        }
        return Option<RtcError>.None;
    }

    private static RtcError? Check(SdpAttribute a)
    {
        static RtcError? Of<T>(Either<RtcError, T> r) => r.IsLeft ? r.LeftToArray()[0] : null;
        RtcError? NeedsValue() => a.HasValue ? null : SdpTokens.Error(a.Name, "needs a value");
        return a.Name.ToString() switch
        {
            CandidateAttribute.AttributeName => NeedsValue() ?? Of(CandidateAttribute.Parse(a.Value)),
            Fingerprint.AttributeName => NeedsValue() ?? Of(Fingerprint.Parse(a.Value)),
            SdpAttributeNames.Setup => NeedsValue() ?? Of(SdpEnums.ParseSetup(a.Value.Span)),
            RtpMap.AttributeName => NeedsValue() ?? Of(RtpMap.Parse(a.Value)),
            Fmtp.AttributeName => NeedsValue() ?? Of(Fmtp.Parse(a.Value)),
            RtcpFeedback.AttributeName => NeedsValue() ?? Of(RtcpFeedback.Parse(a.Value)),
            RtcpAttribute.AttributeName => NeedsValue() ?? Of(RtcpAttribute.Parse(a.Value)),
            ExtMap.AttributeName => NeedsValue() ?? Of(ExtMap.Parse(a.Value)),
            Msid.AttributeName => NeedsValue() ?? Of(Msid.Parse(a.Value)),
            SsrcAttribute.AttributeName => NeedsValue() ?? Of(SsrcAttribute.Parse(a.Value)),
            SsrcGroup.AttributeName => NeedsValue() ?? Of(SsrcGroup.Parse(a.Value)),
            Rid.AttributeName => NeedsValue() ?? Of(Rid.Parse(a.Value)),
            Simulcast.AttributeName => NeedsValue() ?? Of(Simulcast.Parse(a.Value)),
            SdpGroup.AttributeName => NeedsValue() ?? Of(SdpGroup.Parse(a.Value)),
            SctpMap.AttributeName => NeedsValue() ?? Of(SctpMap.Parse(a.Value)),
            SdpAttributeNames.SctpPort => SdpTokens.TryInt(a.Value.Span.Trim(' '), 0, 65535, out _) ? null : SdpTokens.Error(SdpAttributeNames.SctpPort, "invalid port"),
            SdpAttributeNames.MaxMessageSize => SdpTokens.TryUInt64(a.Value.Span.Trim(' '), out _) ? null : SdpTokens.Error(SdpAttributeNames.MaxMessageSize, "invalid size"),
            SdpAttributeNames.Mid or SdpAttributeNames.IceUfrag or SdpAttributeNames.IcePwd => a.HasValue && !a.Value.Span.Trim(' ').IsEmpty ? null : SdpTokens.Error(a.Name, "needs a value"),
            _ => null,
        };
    }
}
