using LanguageExt;

namespace Functional.WebRtc.Core.Sdp;

/// <summary><c>o=&lt;username&gt; &lt;sess-id&gt; &lt;sess-version&gt; &lt;nettype&gt; &lt;addrtype&gt; &lt;unicast-address&gt;</c> (RFC 8866 section 5.2).</summary>
public readonly record struct Origin(SdpText Username, ulong SessionId, ulong SessionVersion, SdpText NetType, SdpText AddrType, SdpText Address)
{
    /// <summary>The origin browsers write: <c>- id version IN IP4 127.0.0.1</c>.</summary>
    public static Origin Create(ulong sessionId, ulong sessionVersion) => new("-", sessionId, sessionVersion, "IN", "IP4", "127.0.0.1");
}

/// <summary><c>c=&lt;nettype&gt; &lt;addrtype&gt; &lt;connection-address&gt;</c> (RFC 8866 section 5.7); the address keeps any /ttl/count.</summary>
public readonly record struct ConnectionData(SdpText NetType, SdpText AddrType, SdpText Address)
{
    public static ConnectionData Ip4(SdpText address) => new("IN", "IP4", address);
    public static ConnectionData Ip6(SdpText address) => new("IN", "IP6", address);
    /// <summary><c>c=IN IP4 0.0.0.0</c>, what JSEP writes in every m= section.</summary>
    public static ConnectionData Unspecified => new("IN", "IP4", "0.0.0.0");
}

/// <summary><c>b=&lt;bwtype&gt;:&lt;bandwidth&gt;</c> (RFC 8866 section 5.8), e.g. AS, CT, TIAS.</summary>
public readonly record struct Bandwidth(SdpText Type, ulong Value);

/// <summary><c>t=&lt;start-time&gt; &lt;stop-time&gt;</c> and its <c>r=</c> lines, kept raw (RFC 8866 sections 5.9 and 5.10).</summary>
public readonly record struct Timing(ulong Start, ulong Stop, Arr<SdpText> Repeats = default)
{
    /// <summary><c>t=0 0</c>: a permanent session, what WebRTC writes.</summary>
    public static Timing Permanent => new(0, 0);
}

/// <summary>
/// A session description (RFC 8866): the session-level fields and the media sections, immutable with value equality.
/// Build one with an object initializer and <c>with</c>; <see cref="ToString"/> writes the canonical CRLF text.
/// </summary>
public sealed record SdpDescription
{
    /// <summary><c>v=</c>; always 0.</summary>
    public int Version { get; init; }
    public Origin Origin { get; init; } = Origin.Create(0, 0);
    /// <summary><c>s=</c>; WebRTC writes "-".</summary>
    public SdpText SessionName { get; init; } = "-";
    public Option<SdpText> Information { get; init; }
    public Option<SdpText> Uri { get; init; }
    /// <summary><c>e=</c> lines (zero or more).</summary>
    public Arr<SdpText> Emails { get; init; }
    /// <summary><c>p=</c> lines (zero or more).</summary>
    public Arr<SdpText> Phones { get; init; }
    public Option<ConnectionData> Connection { get; init; }
    public Arr<Bandwidth> Bandwidths { get; init; }
    /// <summary><c>t=</c> lines with their <c>r=</c> lines; at least one in a valid description.</summary>
    public Arr<Timing> Timings { get; init; } = DefaultTimings;
    private static readonly Arr<Timing> DefaultTimings = Arr.create(Timing.Permanent);

    /// <summary>The <c>z=</c> line, raw.</summary>
    public Option<SdpText> ZoneAdjustments { get; init; }
    /// <summary>The obsolete <c>k=</c> line, raw (kept so that any description reads and writes back).</summary>
    public Option<SdpText> EncryptionKey { get; init; }
    public Arr<SdpAttribute> Attributes { get; init; }
    public Arr<MediaDescription> Media { get; init; }

    // Attribute helpers (session level).
    public Option<SdpAttribute> Attribute(string name) => SdpAttributeList.First(Attributes, name);
    public Option<SdpText> AttributeValue(string name) => SdpAttributeList.First(Attributes, name).Map(a => a.Value);
    public Seq<SdpAttribute> AttributesNamed(string name) => SdpAttributeList.All(Attributes, name);
    public bool HasAttribute(string name) => SdpAttributeList.Has(Attributes, name);
    public SdpDescription WithAttribute(SdpAttribute attribute) => this with { Attributes = Attributes.Add(attribute) };
    public SdpDescription WithAttribute(SdpText name, SdpText value = default) => WithAttribute(new SdpAttribute(name, value));
    public SdpDescription WithoutAttribute(string name) => this with { Attributes = SdpAttributeList.Remove(Attributes, name) };
    public SdpDescription SetAttribute(SdpAttribute attribute) => this with { Attributes = SdpAttributeList.Set(Attributes, attribute) };
    public SdpDescription SetAttribute(SdpText name, SdpText value = default) => SetAttribute(new SdpAttribute(name, value));

    // Media helpers.
    public SdpDescription WithMedia(MediaDescription media) => this with { Media = Media.Add(media) };
    public SdpDescription WithMedia(int index, MediaDescription media) => this with { Media = Media.SetItem(index, media) };
    public SdpDescription MapMedia(Func<MediaDescription, MediaDescription> f) => this with { Media = Media.Map(f) };

    /// <summary>The canonical text (CRLF line ends, RFC 8866 line order).</summary>
    public override string ToString() => SdpWriter.Write(this);

    /// <summary>Parses SDP text; see <see cref="SdpParser.Parse(string)"/>.</summary>
    public static Either<RtcError, SdpDescription> Parse(string text) => SdpParser.Parse(text);
}
