using LanguageExt;

namespace Functional.WebRtc.Core.Sdp;

/// <summary>
/// A media section (RFC 8866 section 5.14): <c>m=&lt;media&gt; &lt;port&gt;[/&lt;count&gt;] &lt;proto&gt; &lt;fmt&gt; ...</c>
/// and its <c>i= c= b= k= a=</c> lines.
/// </summary>
public sealed record MediaDescription(SdpText Media, int Port, SdpText Protocol, Arr<SdpText> Formats)
{
    /// <summary>A section with formats given as strings, e.g. <c>new MediaDescription("audio", 9, "UDP/TLS/RTP/SAVPF", "111", "0")</c>.</summary>
    public MediaDescription(SdpText media, int port, SdpText protocol, params string[] formats)
        : this(media, port, protocol, Arr.createRange(formats.Select(f => (SdpText)f))) { }

    /// <summary>A section whose formats are RTP payload types, e.g. <c>MediaDescription.Create("video", 9, "UDP/TLS/RTP/SAVPF", [96, 97])</c>.</summary>
    public static MediaDescription Create(SdpText media, int port, SdpText protocol, IEnumerable<int> payloadTypes) =>
        new(media, port, protocol, Arr.createRange(payloadTypes.Select(p => (SdpText)p.ToString(System.Globalization.CultureInfo.InvariantCulture))));

    /// <summary>The section's text (its m= line and the lines that follow, CRLF).</summary>
    public override string ToString() => SdpWriter.Write(this);

    /// <summary>The <c>/&lt;number of ports&gt;</c> of the m= line, if any.</summary>
    public Option<int> PortCount { get; init; }
    public Option<SdpText> Information { get; init; }
    public Option<ConnectionData> Connection { get; init; }
    public Arr<Bandwidth> Bandwidths { get; init; }
    /// <summary>The obsolete <c>k=</c> line, raw.</summary>
    public Option<SdpText> EncryptionKey { get; init; }
    public Arr<SdpAttribute> Attributes { get; init; }

    public Option<SdpAttribute> Attribute(string name) => SdpAttributeList.First(Attributes, name);
    public Option<SdpText> AttributeValue(string name) => SdpAttributeList.First(Attributes, name).Map(a => a.Value);
    public Seq<SdpAttribute> AttributesNamed(string name) => SdpAttributeList.All(Attributes, name);
    public Seq<SdpText> AttributeValues(string name) => SdpAttributeList.Values(Attributes, name);
    public bool HasAttribute(string name) => SdpAttributeList.Has(Attributes, name);
    public MediaDescription WithAttribute(SdpAttribute attribute) => this with { Attributes = Attributes.Add(attribute) };
    public MediaDescription WithAttribute(SdpText name, SdpText value = default) => WithAttribute(new SdpAttribute(name, value));
    public MediaDescription WithAttributes(IEnumerable<SdpAttribute> attributes) => this with { Attributes = Attributes.AddRange(attributes) };
    public MediaDescription WithoutAttribute(string name) => this with { Attributes = SdpAttributeList.Remove(Attributes, name) };
    public MediaDescription WithoutAttributes(Func<SdpAttribute, bool> predicate) => this with { Attributes = SdpAttributeList.RemoveWhere(Attributes, predicate) };
    public MediaDescription SetAttribute(SdpAttribute attribute) => this with { Attributes = SdpAttributeList.Set(Attributes, attribute) };
    public MediaDescription SetAttribute(SdpText name, SdpText value = default) => SetAttribute(new SdpAttribute(name, value));
}
